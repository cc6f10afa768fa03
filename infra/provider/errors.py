"""Errors the provider raises, worded for the person reading ``pulumi up`` output.

A bare botocore ``ClientError`` says neither which Pulumi resource failed nor which
service; with dozens of resources in flight that is not actionable. Every failure the
provider reports therefore names the resource (type, name and URN), the API operation,
the error code and the cloud's own message.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError


@dataclass(frozen=True)
class ResourceRef:
    """Which Pulumi resource an operation is about, parsed from its URN."""

    type_token: str
    name: str
    urn: str

    @classmethod
    def from_urn(cls, urn: str) -> ResourceRef:
        """Parse ``urn:pulumi:<stack>::<project>::<qualified type>::<name>``.

        The experimental API's ``request.type`` takes the URN's second-to-last ``::``
        field verbatim, which for a resource with a parent is the *qualified* type
        (``my:index:Network$egov:ec2:Vpc``), and ``request.name`` breaks on names that
        contain ``::``. Dispatch needs the plain type, so we parse the URN ourselves.
        """
        parts = urn.split("::", 3)
        if len(parts) != 4:
            return cls(type_token="", name="", urn=urn)
        qualified_type, name = parts[2], parts[3]
        return cls(type_token=qualified_type.rsplit("$", 1)[-1], name=name, urn=urn)

    def __str__(self) -> str:
        return f'{self.type_token} "{self.name}" ({self.urn})'


class ProviderError(Exception):
    """A failure the user can act on; its message is complete on its own."""


class ApiError(ProviderError):
    """A cloud API call failed; keeps the error code so handlers can branch on it."""

    def __init__(self, message: str, *, code: str, operation: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.operation = operation
        self.status = status


def client_error_code(exc: ClientError) -> str:
    """The AWS error code (``InvalidVpcID.NotFound``...) of a ClientError."""
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def from_client_error(exc: ClientError, *, resource: ResourceRef | None, service: str) -> ApiError:
    """Turn a ClientError into an ApiError naming resource, operation, code and message."""
    error = exc.response.get("Error", {})
    meta = exc.response.get("ResponseMetadata", {})
    code = client_error_code(exc)
    message = str(error.get("Message", "")).strip() or "(no message)"
    status = meta.get("HTTPStatusCode")
    request_id = meta.get("RequestId")
    operation = f"{service}:{exc.operation_name}"
    who = f"{resource}: " if resource is not None else ""
    text = f"{who}{operation} failed with {code}: {message}"
    details = [f"HTTP {status}" if status else "", f"request id {request_id}" if request_id else ""]
    details = [d for d in details if d]
    if details:
        text += f" ({', '.join(details)})"
    return ApiError(text, code=code, operation=operation, status=status if isinstance(status, int) else None)


class UnreadableResponse(ProviderError):
    """The endpoint answered with something that is not an API response (e.g. an HTML error page)."""


def from_unparseable_response(
    exc: Exception, *, resource: ResourceRef | None, service: str, operation: str
) -> UnreadableResponse:
    """botocore raises a bare ResponseParserError when the body is not XML/JSON, which moto 5.2.5 sends for
    operations it lacks and for ids it does not know; that error would name neither resource nor call."""
    who = f"{resource}: " if resource is not None else ""
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "no details"
    return UnreadableResponse(
        f"{who}{service}:{operation} got an answer that is not an {service.upper()} API response "
        f"(the endpoint may not implement this operation): {first_line}"
    )


def from_botocore_error(
    exc: BotoCoreError, *, resource: ResourceRef | None, service: str, operation: str
) -> ProviderError:
    """Turn a client-side botocore failure (no credentials, endpoint down...) into a ProviderError."""
    who = f"{resource}: " if resource is not None else ""
    hint = ""
    if isinstance(exc, NoCredentialsError):
        hint = (
            " Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (any value works against moto) "
            "or another source in the boto3 credential chain."
        )
    return ProviderError(f"{who}{service}:{operation} could not be sent: {exc}.{hint}")
