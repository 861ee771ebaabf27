"""A small FastAPI app that takes and returns iptkit models, with no code of its own for them.

Needs ``pip install "iptkit[pydantic]" fastapi uvicorn``; run it with::

    uvicorn fastapi_app:app --app-dir examples

then open http://127.0.0.1:8000/docs.  ``make demo`` does not run it.

* ``POST /contracts`` takes a treatment contract (``schema_version`` may be
  left out) and answers with the contract as :func:`iptkit.dumps` writes it.
  A bad contract gets a 422 listing every problem with iptkit's path and code,
  and never a value of the body.
* ``POST /contracts/{contract_id}/notes`` takes a body of the app's own, a
  pydantic model holding an iptkit inventory beside plain fields.
* The OpenAPI document (``/openapi.json``) holds iptkit's JSON Schemas.

The contracts are kept in memory only: this is an example, not a store for
clinical records.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, FastAPI, HTTPException
from pydantic import BaseModel

import iptkit

app = FastAPI(title="IPT contracts")
contracts: dict[int, iptkit.TreatmentContract] = {}


class Note(BaseModel):
    """A therapist's note on a contract, with the interpersonal inventory taken that day."""

    inventory: iptkit.InterpersonalInventory
    session: int


@app.post("/contracts", status_code=201)
def add_contract(
    # FastAPI reads a parameter of a type other than its own kinds from the query
    # string unless told otherwise: Body() says the contract is the request body.
    contract: Annotated[iptkit.TreatmentContract, Body()],
) -> iptkit.TreatmentContract:
    """Store a contract and give it back as stored."""
    contracts[len(contracts) + 1] = contract
    return contract


@app.get("/contracts/{contract_id}")
def get_contract(contract_id: int) -> iptkit.TreatmentContract:
    """A stored contract."""
    if contract_id not in contracts:
        raise HTTPException(status_code=404, detail="No such contract.")
    return contracts[contract_id]


@app.post("/contracts/{contract_id}/notes")
def add_note(contract_id: int, note: Note) -> dict[str, int]:
    """Take a note (a model of the app's own holding an iptkit inventory)."""
    if contract_id not in contracts:
        raise HTTPException(status_code=404, detail="No such contract.")
    return {"relationships": len(note.inventory.relationships), "session": note.session}
