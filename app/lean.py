"""Routes whose parameters are resolved by a plan made once, at start-up.

FastAPI resolves a route's parameters generically on every request: for each
dependency and each parameter it inspects annotations, computes cache keys and
validates the value on its own. On this hardware that is about 400 µs for a list
with five query parameters, more than its query and its JSON together.

A route asks for a plan with :func:`fast_path`; its parameters must then all be
simple (path and query scalars, one JSON body model, ``Request``, and dependencies
that are coroutines of those), or the app does not start. The plan: one pydantic
model validates every path and query value in a single call, the body model
validates the raw JSON bytes, and each dependency is awaited with what it declared.
Validation errors carry FastAPI's locations (``("query", "limit")``), so the problem
documents are the same. Every other route is left to FastAPI, as is the OpenAPI
document, which comes from the same dependant either way. What the plan reads of
FastAPI's internals is in :mod:`app.fastapi_internals`.
"""

import collections.abc
import inspect
import types
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin
from urllib.parse import parse_qsl

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError, create_model
from starlette.types import ASGIApp, Receive, Scope, Send

from app.fastapi_internals import Declared, declared

_FAST_PATH = "__jalon_fast_path__"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])


def fast_path(endpoint: Endpoint) -> Endpoint:
    """Declares that the route of ``endpoint`` is served by a plan (put it under the
    router's decorator). The route must be mounted with :func:`app.routing.mount`."""
    setattr(endpoint, _FAST_PATH, True)
    return endpoint


class RouteNotPlannable(TypeError):
    def __init__(self, route: APIRoute, reason: str) -> None:
        super().__init__(f"{route.name} asks for the fast path but {reason}")


class LeanRoute(APIRoute):
    """A route served by FastAPI, or by a plan when its endpoint asked for one; either
    way, a query parameter that takes one value is refused when sent twice (FastAPI and
    Starlette would keep the last one)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        self.plan: Plan | None = None
        app: ASGIApp = self.app
        if getattr(endpoint, _FAST_PATH, False):
            self.plan = Plan.of(self)
            # the route's ASGI app is the plan itself: no exit stacks (there is no
            # dependency with yield), and what it raises goes to the app's exception
            # handlers as from any route
            app = self.plan.asgi
        self.app = _refusing_repeats(app, _single_valued(declared(self)))


def _single_valued(dependant: Declared) -> frozenset[str]:
    """The aliases of the query parameters that take one value, dependencies included."""
    own = {
        alias
        for location, _, alias, info in dependant.fields
        if location == "query" and not _is_sequence(info.annotation)
    }
    return frozenset(own.union(*(_single_valued(d) for d in dependant.dependencies)))


def _refusing_repeats(app: ASGIApp, single: frozenset[str]) -> ASGIApp:
    if not single:
        return app

    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"")
        if b"&" in query:  # a key can only repeat among several
            counts = Counter(key for key, _ in parse_qsl(query.decode("latin-1"), True))
            repeated = sorted(alias for alias in single if counts[alias] > 1)
            if repeated:
                raise RequestValidationError(
                    [
                        {"type": "repeated", "loc": ("query", alias), "msg": "sent more than once"}
                        for alias in repeated
                    ]
                )
        await app(scope, receive, send)

    return checked


@dataclass(frozen=True)
class Step:
    """A dependency: awaited with the request and its own parameters, or, a class (a
    list's query model), made of its parameters."""

    name: str
    call: Callable[..., Any]
    request_param: str | None
    params: tuple[str, ...]
    is_class: bool = False


@dataclass(frozen=True)
class Plan:
    endpoint: Callable[..., Awaitable[Any]]
    params: type[BaseModel]
    locations: dict[str, tuple[str, str]]  # alias -> (path or query, alias)
    path_aliases: tuple[str, ...]
    query_aliases: tuple[str, ...]
    endpoint_params: tuple[str, ...]
    steps: tuple[Step, ...]
    request_param: str | None
    body: tuple[str, type[BaseModel]] | None

    @classmethod
    def of(cls, route: APIRoute) -> "Plan":
        """The route's plan; :class:`RouteNotPlannable` says why there cannot be one."""
        endpoint = declared(route)
        if endpoint.unplannable:
            raise RouteNotPlannable(route, f"takes {endpoint.unplannable[0]}")
        call = endpoint.call
        if call is None or not inspect.iscoroutinefunction(call):
            raise RouteNotPlannable(route, "is not a coroutine function")
        returns = inspect.signature(call, eval_str=True).return_annotation
        if not (isinstance(returns, type) and issubclass(returns, Response)):
            # a model to validate and serialise is FastAPI's own path
            raise RouteNotPlannable(route, "does not return a Response")
        steps = []
        fields: dict[str, Any] = {}
        locations: dict[str, tuple[str, str]] = {}
        for sub in endpoint.dependencies:
            steps.append(_step(route, sub))
            _collect(route, sub, fields, locations)
        _collect(route, endpoint, fields, locations)
        body = None
        if endpoint.body:
            if len(endpoint.body) != 1:
                raise RouteNotPlannable(route, "takes more than one body parameter")
            name, model = endpoint.body[0]
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                raise RouteNotPlannable(route, "takes a body that is not a pydantic model")
            body = (name, model)
        return cls(
            endpoint=call,
            params=create_model(f"Params_{route.name}", **fields),
            locations=locations,
            path_aliases=tuple(a for a, (where, _) in locations.items() if where == "path"),
            query_aliases=tuple(a for a, (where, _) in locations.items() if where == "query"),
            endpoint_params=_names(endpoint),
            steps=tuple(steps),
            request_param=endpoint.request_param,
            body=body,
        )

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive, send))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        """In FastAPI's order: a body that is not JSON is refused first; then the
        dependencies run (the key check may refuse); then every invalid parameter and
        body field is reported at once."""
        errors: list[Any] = []
        body: BaseModel | None = None
        if self.body is not None:
            body, body_errors = await self._body(request, self.body[1])
            if any(error["type"] == "json_invalid" for error in body_errors):
                raise RequestValidationError(body_errors)
            errors += body_errors
        arguments: dict[str, Any] = {}
        for step in self.steps:
            if not step.params:
                arguments[step.name] = await self._call(step, request, None)
        values, param_errors = self._validated(request)
        if errors or param_errors:
            raise RequestValidationError([*param_errors, *errors])
        assert values is not None
        for step in self.steps:
            if step.params:
                arguments[step.name] = await self._call(step, request, values)
        arguments.update({name: getattr(values, name) for name in self.endpoint_params})
        if self.body is not None:
            arguments[self.body[0]] = body
        if self.request_param is not None:
            arguments[self.request_param] = request
        response = await self.endpoint(**arguments)
        if not isinstance(response, Response):
            raise TypeError(f"{self.endpoint.__name__} must return a Response")
        return response

    @staticmethod
    async def _call(step: Step, request: Request, values: BaseModel | None) -> Any:
        step_arguments = {name: getattr(values, name) for name in step.params}
        if step.request_param is not None:
            step_arguments[step.request_param] = request
        if step.is_class:
            return step.call(**step_arguments)
        return await step.call(**step_arguments)

    def _validated(self, request: Request) -> tuple[BaseModel | None, list[Any]]:
        path = request.path_params
        raw: dict[str, Any] = {alias: path[alias] for alias in self.path_aliases if alias in path}
        if self.query_aliases and request.scope.get("query_string"):
            # parsed only when there is a query string a parameter may read
            query = request.query_params
            raw.update((alias, query[alias]) for alias in self.query_aliases if alias in query)
        try:
            return self.params.model_validate(raw), []
        except ValidationError as error:
            return None, [
                {**item, "loc": (*self.locations[str(item["loc"][0])], *item["loc"][1:])}
                for item in error.errors()
            ]

    @staticmethod
    async def _body(request: Request, model: type[BaseModel]) -> tuple[BaseModel | None, list[Any]]:
        raw = await request.body()
        if not raw:
            return None, [{"type": "missing", "loc": ("body",), "msg": "Field required"}]
        try:
            return model.model_validate_json(raw), []
        except ValidationError as error:
            return None, [{**item, "loc": ("body", *item["loc"])} for item in error.errors()]


def _step(route: APIRoute, dependency: Declared) -> Step:
    if dependency.dependencies or dependency.body or dependency.name is None:
        raise RouteNotPlannable(route, f"depends on {dependency.call} which has dependencies")
    if dependency.unplannable:
        raise RouteNotPlannable(route, f"depends on {dependency.unplannable[0]}")
    call = dependency.call
    if inspect.isclass(call):
        return Step(dependency.name, call, None, _names(dependency), is_class=True)
    if call is None or not _is_coroutine(call):
        raise RouteNotPlannable(route, f"depends on {call}, which is not a coroutine")
    return Step(dependency.name, call, dependency.request_param, _names(dependency))


def _names(dependant: Declared) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in dependant.fields)


def _is_coroutine(call: Callable[..., Any]) -> bool:
    if inspect.isasyncgenfunction(call) or inspect.isgeneratorfunction(call):
        return False
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
        getattr(call, "__call__", None)  # noqa: B004 (a dependency object's method)
    )


def _collect(
    route: APIRoute,
    dependant: Declared,
    fields: dict[str, Any],
    locations: dict[str, tuple[str, str]],
) -> None:
    """Adds the dependant's path and query parameters to the plan's model."""
    for location, name, alias, info in dependant.fields:
        if name in fields or alias in locations:
            raise RouteNotPlannable(route, f"declares the parameter {alias} twice")
        if _is_sequence(info.annotation):
            raise RouteNotPlannable(route, f"takes a list in its parameter {alias}")
        fields[name] = (info.annotation, info)
        locations[alias] = (location, alias)


_SEQUENCES = (list, set, frozenset, tuple, collections.abc.Sequence, collections.abc.Set)


def _is_sequence(annotation: Any) -> bool:
    """Whether the annotation takes several values (``list[str] | None`` does):
    FastAPI reads those from repeated query keys, which a plan does not."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_sequence(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(_is_sequence(argument) for argument in get_args(annotation))
    return origin in _SEQUENCES or annotation in _SEQUENCES
