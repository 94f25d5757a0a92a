import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response, status

from app.auth import Caller, Reader
from app.db import SessionDep
from app.errors import (
    Forbidden,
    TargetRefused,
    field_problem,
    found,
    problem_responses,
)
from app.idempotency.admission import shows_secret
from app.keys.models import Role
from app.pagination import Page, PageDep, build_page
from app.routing import api_router
from app.settings import Settings
from app.webhooks import repository, signing, targets
from app.webhooks.events import PERSONAL_EVENTS, EventType
from app.webhooks.models import Subscription
from app.webhooks.repository import DeliveryView
from app.webhooks.schemas import (
    AttemptRead,
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
)

router = api_router(
    prefix="/v1/webhooks",
    tags=["webhooks"],
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
WRITE_PROBLEMS = problem_responses(400, 409, 413, 415)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe to events",
    description="Any key with the read scope. Events about records the key may read are "
    "POSTed to the URL, signed with the secret returned here once (Standard Webhooks). "
    "Company and network keys receive mission events only. The URL must resolve to public "
    "addresses (JALON_WEBHOOK_ALLOWED_NETWORKS can allow others).",
    responses=WRITE_PROBLEMS,
    dependencies=[Depends(shows_secret)],
)
async def create_subscription(
    body: SubscriptionCreate, session: SessionDep, caller: Reader, request: Request
) -> SubscriptionCreated:
    url = str(body.url)
    await _check(request, caller, url, body.event_types)
    subscription = await repository.create(
        session,
        Subscription(
            key_id=caller.key_id,
            url=url,
            event_types=[event.value for event in body.event_types],
            description=body.description,
            secret=signing.new_secret(),
        ),
    )
    return SubscriptionCreated.model_validate(subscription, from_attributes=True)


@router.get("", summary="List subscriptions", description="The key's own; admin: all.")
async def list_subscriptions(
    session: SessionDep, caller: Reader, page: PageDep
) -> Page[SubscriptionRead]:
    rows = await repository.page(
        session, caller, after=page.after(repository.SUBSCRIPTIONS), limit=page.limit
    )
    return build_page(
        [SubscriptionRead.model_validate(row) for row in rows],
        page,
        repository.SUBSCRIPTIONS,
        lambda s: (s.created_at, s.id),
    )


@router.get("/{subscription_id}", summary="Read a subscription")
async def read_subscription(
    subscription_id: uuid.UUID, session: SessionDep, caller: Reader
) -> SubscriptionRead:
    return SubscriptionRead.model_validate(await _subscription(session, caller, subscription_id))


@router.patch(
    "/{subscription_id}",
    summary="Change a subscription",
    description="`state: active` resumes a failing or disabled one.",
    responses=WRITE_PROBLEMS,
)
async def update_subscription(
    subscription_id: uuid.UUID,
    body: SubscriptionUpdate,
    session: SessionDep,
    caller: Reader,
    request: Request,
) -> SubscriptionRead:
    subscription = await _subscription(session, caller, subscription_id, for_change=True)
    changes = body.model_dump(exclude_unset=True, mode="json")
    await _check(
        request,
        caller,
        changes.get("url", subscription.url),
        [EventType(t) for t in changes.get("event_types", subscription.event_types)],
    )
    updated = await repository.update_subscription(session, subscription, changes)
    return SubscriptionRead.model_validate(updated)


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a subscription",
    description="Its pending deliveries and their log go with it.",
)
async def delete_subscription(
    subscription_id: uuid.UUID, session: SessionDep, caller: Reader
) -> Response:
    subscription = await _subscription(session, caller, subscription_id, for_change=True)
    await repository.delete(session, subscription)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{subscription_id}/deliveries",
    summary="The delivery log",
    description="Oldest first: each event, its state, and every attempt with the "
    "receiver's answer and when the next try was scheduled (the back-off: 30 s, then "
    "doubling, given up after 24 h).",
)
async def list_deliveries(
    subscription_id: uuid.UUID,
    session: SessionDep,
    caller: Reader,
    page: PageDep,
    state: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
) -> Page[DeliveryRead]:
    await _subscription(session, caller, subscription_id)
    views = await repository.deliveries(
        session,
        subscription_id,
        state=state,
        after=page.after(repository.DELIVERIES),
        limit=page.limit,
    )
    return build_page(
        [_delivery(view) for view in views], page, repository.DELIVERIES, lambda d: (d.id,)
    )


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send an event again",
    description="Delivered, failed or pending: it is queued at once, after the "
    "subscription's earlier pending events; its log is kept.",
)
async def redeliver_delivery(
    subscription_id: uuid.UUID, delivery_id: int, session: SessionDep, caller: Reader
) -> DeliveryRead:
    await _subscription(session, caller, subscription_id)
    view = found(
        await repository.delivery(session, subscription_id, delivery_id),
        "no delivery with this id in this subscription",
    )
    await repository.requeue(session, view.delivery)
    return _delivery(view)


async def _subscription(
    session: SessionDep, caller: Caller, subscription_id: uuid.UUID, *, for_change: bool = False
) -> Subscription:
    return found(
        await repository.get(session, caller, subscription_id, for_change=for_change),
        "no subscription with this id",
    )


async def _check(request: Request, caller: Caller, url: str, types: list[EventType]) -> None:
    """The key may receive these events, and the URL points where jalon may send."""
    if caller.role in (Role.company, Role.network):
        personal = sorted(t.value for t in types if t in PERSONAL_EVENTS)
        if personal:
            detail = f"personal data, for admin and structure keys only: {', '.join(personal)}"
            raise Forbidden(detail, errors=[field_problem("event_types", detail)])
    settings: Settings = request.app.state.settings
    try:
        await targets.resolve(url, list(settings.webhook_allowed_networks))
    except targets.UnsafeTarget as refused:
        raise TargetRefused(
            "the subscription cannot be made", errors=[field_problem("url", str(refused))]
        ) from None


def _delivery(view: DeliveryView) -> DeliveryRead:
    delivery = view.delivery
    return DeliveryRead(
        id=delivery.id,
        event_id=view.event.id,
        webhook_id=signing.message_id(view.event.id),
        event_type=view.event.type,
        state=delivery.state,
        attempts=delivery.attempts,
        delivered_at=delivery.delivered_at,
        next_attempt_at=delivery.next_attempt_at,
        log=[AttemptRead.model_validate(attempt) for attempt in view.attempts],
    )
