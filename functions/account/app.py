"""GET and PATCH /account: the merchant's profile, as the hosted checkout shows it to its customers."""

from typing import Annotated

from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api, service
from paygate.accounts.manage import Profiles
from paygate.accounts.models import Account, UpdateAccountRequest
from paygate.api import Body, Caller, Depends
from paygate.observability import logger, metrics

app = api.create_app()
SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]
Accounts = Annotated[Profiles, Depends(service.profiles)]


def shown(record: Account) -> Account:
    return Account.model_validate(record.model_dump(include=set(Account.model_fields)))


@app.get(
    "/account",
    summary="Read the account",
    operation_id="getAccount",
    description=("The merchant's profile, as the hosted checkout shows it to customers."),
    security=SECURITY,
)
def get_account(merchant: Caller, profiles: Accounts) -> Account:
    return shown(profiles.get(merchant))


@app.patch(
    "/account",
    summary="Change the account's profile",
    operation_id="updateAccount",
    description=("Changes the fields given (null clears one); the others stay as they are."),
    security=SECURITY,
)
def update_account(merchant: Caller, profiles: Accounts, request: Annotated[UpdateAccountRequest, Body()]) -> Account:
    return shown(profiles.update(merchant, request))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context, json_only=True)
