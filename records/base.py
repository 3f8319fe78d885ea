"""What every record shares: immutable, and no field it does not declare."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Scores go out with four decimals: more would be noise in a reply and in a diff.
Score = Annotated[float, PlainSerializer(lambda value: round(value, 4), return_type=float)]
