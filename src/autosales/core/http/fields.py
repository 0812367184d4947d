"""Field types shared by the API's input schemas."""

from typing import Annotated

from pydantic import Strict

# A count of units: a JSON integer and nothing else. Pydantic's default would take `true` as 1, `"12"` and `12.0`
# as 12; each schema adds its own bounds, e.g. `quantity: Quantity = Field(ge=1, le=MAX_LINE_QUANTITY)`.
Quantity = Annotated[int, Strict()]
