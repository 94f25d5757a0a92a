import httpx

PROBLEM = "application/problem+json"


def pointers(response: httpx.Response) -> dict[str, str]:
    """The offending fields of a problem response, by JSON pointer."""
    assert response.headers["content-type"] == PROBLEM, response.text
    return {error["pointer"]: error["detail"] for error in response.json().get("errors", [])}
