"""The JSON API: search, one document, its OpenAPI description, and a health check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from flask import Blueprint, jsonify, request, url_for

from library.search import SORTS

from .hosts import external_url
from .params import search_request
from .shared import document_or_404, library

bp = Blueprint("api", __name__)


@bp.get("/api/search")
def api_search():
    result = library().search(search_request(request.args, allow_per_page=True, strict=True))
    data = result.to_json()
    data["results"] = [_linked(hit) for hit in cast(list[dict[str, object]], data["results"])]
    return jsonify(data)


def _linked(hit: dict[str, object]) -> dict[str, object]:
    """A result with "url", the path of its page (relative), after "snippet", where the API has always had it."""
    out: dict[str, object] = {}
    for key, value in hit.items():
        out[key] = value
        if key == "snippet":
            out["url"] = url_for("pages.document", doc_id=hit["id"])
    return out


@bp.get("/api/documents/<path:doc_id>")
def api_document(doc_id: str):
    lib = library()
    doc = document_or_404(doc_id)
    data = doc.to_dict()
    data["councils"] = [{"id": t.value, "name": lib.council_name(t.value), "source": t.source} for t in doc.councils]
    data["themes"] = [{"id": t.value, "label": lib.theme_label(t.value), "source": t.source} for t in doc.themes]
    data["principles"] = [
        {"id": t.value, "label": lib.principle_label(t.value), "source": t.source} for t in doc.principles
    ]
    data["lead"] = (
        {"id": doc.lead, "name": lib.lead_name(doc), "kind": doc.lead_kind, "source": doc.lead_source}
        if doc.lead
        else None
    )
    for key in ("lead_kind", "lead_source"):
        data.pop(key)
    data["organisations"] = [{"id": o, "name": lib.organisation_name(o)} for o in doc.organisations]
    data["mentioned"] = [{"id": c, "name": lib.council_name(c)} for c in doc.mentioned]
    data["status"] = {"id": doc.status, "label": lib.label("status", doc.status)} if doc.status else None
    data["evidence"] = {"id": doc.evidence_id, "label": lib.label("evidence", doc.evidence_id)}
    data["url"] = external_url("pages.document", doc_id=doc.id)
    for private in ("content_hash", "extra"):
        data.pop(private, None)
    return jsonify(data)


@bp.get("/healthz")
def healthz():
    status = library().status()
    return jsonify(
        status="ok",
        generation=status.generation,
        documents=status.documents,
        last_indexed=datetime.fromtimestamp(status.created, tz=UTC).isoformat(timespec="seconds"),
    )


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(openapi_document())


def _list_param(name: str, what: str) -> dict[str, object]:
    return {
        "name": name,
        "in": "query",
        "description": f"{what} id; repeat for any of several (OR within a facet, AND across facets).",
        "schema": {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 50},
        "style": "form",
        "explode": True,
    }


def openapi_document() -> dict[str, object]:
    """The OpenAPI 3.1 description of the JSON API."""
    year = {"type": "integer", "minimum": 1800, "maximum": 2200}
    error = {"$ref": "#/components/responses/Error"}
    unchanged = {"$ref": "#/components/responses/NotModified"}
    tag = {"ETag": {"$ref": "#/components/headers/ETag"}}
    tagged = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "label": {"type": "string"}},
    }
    lead = {
        "oneOf": [{"type": "null"}, {"type": "object", "properties": {
            "id": {"type": "string"}, "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["council", "organisation"]}}}],
        "description": "Who led it, a council or an organisation; null when the sources name no lead.",
    }  # fmt: skip
    choice = {"oneOf": [{"type": "null"}, tagged]}
    source = {"type": "object", "properties": {
        "title": {"type": "string"}, "url": {"type": "string"}, "date": {"type": "string"},
        "publisher": {"type": "string"}}}  # fmt: skip
    funding = {"type": "object", "properties": {
        "amount": {"type": "integer", "description": "Whole pounds."}, "year": {"type": ["integer", "null"]},
        "source": {"type": "string"}, "up_to": {"type": "boolean", "description": "The amount is a ceiling."},
        "shared": {"type": "boolean", "description": "Shared with other projects."}}}  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Co-operative Practice Library API",
            "version": "1",
            "description": "Search case studies, policy lab reports, prototypes and press releases of "
            "co-operative councils, with facet counts.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Search documents, with facet counts",
                    "operationId": "search",
                    "parameters": [
                        {"name": "q", "in": "query", "description": "Words, phrases or query syntax (see /help).",
                         "schema": {"type": "string"}},
                        _list_param("theme", "Theme"),
                        _list_param("council", "Council"),
                        _list_param("type", "Document type"),
                        _list_param("region", "Region"),
                        _list_param("principle", "Network principle"),
                        _list_param("status", "Status (statuses.yaml)"),
                        _list_param("evidence", "Evidence level (evidence.yaml)"),
                        _list_param("organisation", "Organisation taking part (organisations.yaml)"),
                        {"name": "member", "in": "query",
                         "description": "1: only practice by councils the sources show in the network; 0 or "
                         "empty: all.", "schema": {"type": "string", "enum": ["", "0", "1"]}},
                        {"name": "from", "in": "query", "description": "First year.", "schema": year},
                        {"name": "to", "in": "query", "description": "Last year.", "schema": year},
                        {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(SORTS)}},
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000}},
                        {"name": "per_page", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                    ],
                    "responses": {
                        "200": {"description": "One page of results with facet counts.", "headers": tag,
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResult"}}}},
                        "304": unchanged, "400": error, "414": error, "503": error,
                    },
                }
            },
            "/api/documents/{id}": {
                "get": {
                    "summary": "One document with its full text",
                    "operationId": "document",
                    "parameters": [{"name": "id", "in": "path", "required": True,
                                    "description": "Document id, such as 2016/croydon-housing-commission.",
                                    "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"description": "The document.", "headers": tag,
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
                        "304": unchanged, "404": error, "414": error, "503": error,
                    },
                }
            },
        },
        "components": {
            "headers": {
                "ETag": {"description": "A weak tag of the published index generation: send it back in If-None-Match "
                         "to get 304 while the answer is unchanged.", "schema": {"type": "string"}},
            },
            "responses": {
                "NotModified": {"description": "Not modified: the If-None-Match tag is still the current one "
                                "(no body)."},
                "Error": {
                    "description": "What was wrong with the request: a parameter that cannot be used (400), no such "
                    "document (404), a request head longer than the 64 KB the server reads (414), or no index yet (503).",
                    "content": {"application/json": {"schema": {
                        "type": "object", "required": ["error"],
                        "properties": {"error": {"type": "object", "required": ["status", "message"], "properties": {
                            "status": {"type": "integer"}, "message": {"type": "string"},
                            "parameter": {"type": "string"}}}}}}},
                }
            },
            "schemas": {
                "FacetValue": {"type": "object", "required": ["value", "label", "count", "selected"], "properties": {
                    "value": {"type": "string"}, "label": {"type": "string"},
                    "count": {"type": "integer"}, "selected": {"type": "boolean"}}},
                "Hit": {"type": "object", "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"}, "type": {"type": "string"},
                    "date": {"type": "string"}, "year": {"type": ["integer", "null"]},
                    "councils": {"type": "array", "items": tagged}, "themes": {"type": "array", "items": tagged},
                    "summary": {"type": "string"},
                    "snippet": {"type": "string", "description": "HTML: escaped text with matches in <mark>."},
                    "url": {"type": "string"},
                    "lead": lead,
                    "lead_contact": {"type": "string", "description": "Who to contact, where the document says."},
                    "missing": {"type": "array", "items": {"type": "string"},
                                "description": "The search's distinctive words this document does not hold."},
                    "principles": {"type": "array", "items": tagged,
                                   "description": "The network principles the practice shows."},
                    "organisations": {"type": "array", "items": tagged,
                                      "description": "Organisations other than councils that took part."},
                    "status": {**choice, "description": "How far it had got, when the sources say."},
                    "evidence": {**tagged, "description": "How we know what came of it."},
                    "outcomes": {"type": "string", "description": "What came of it, as the sources report it."},
                    "sources": {"type": "array", "items": source,
                                "description": "The publications its facts come from."}}},
                "Answer": {"type": "object", "required": ["documents", "councils", "missing", "expanded"],
                           "properties": {
                    "documents": {"type": "integer", "minimum": 0,
                                  "description": "Results holding every distinctive word of the search."},
                    "councils": {"type": "integer", "minimum": 0,
                                 "description": "Councils that did the practice in those documents."},
                    "missing": {"type": "array", "items": {"type": "string"},
                                "description": "Distinctive words of the search that no document holds."},
                    "expanded": {"type": "array", "items": {"type": "string"},
                                 "description": "Synonyms, acronym phrases and years added to the search."},
                    "dropped": {"type": "array", "items": {"type": "string"},
                                "description": "Words left out because they only frame the question."}}},
                "SearchResult": {"type": "object", "required": ["query", "total", "page", "per_page", "pages",
                                                                 "results", "facets", "answer"], "properties": {
                    "answer": {"$ref": "#/components/schemas/Answer"},
                    "corrected": {"type": "boolean",
                                  "description": "True when these are the results for the suggestion instead."},
                    "query": {"type": "string"}, "total": {"type": "integer"}, "page": {"type": "integer"},
                    "per_page": {"type": "integer"}, "pages": {"type": "integer"},
                    "notice": {"type": ["string", "null"]}, "suggestion": {"type": ["string", "null"]},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                    "facets": {"type": "object", "additionalProperties": {
                        "type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}}}}},
                "Document": {"type": "object", "required": ["id", "title", "doc_type"], "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"}, "doc_type": {"type": "string"},
                    "date": {"type": ["string", "null"]}, "summary": {"type": "string"}, "body": {"type": "string"},
                    "councils": {"type": "array", "items": tagged}, "themes": {"type": "array", "items": tagged},
                    "principles": {"type": "array", "items": tagged},
                    "lead": lead, "organisations": {"type": "array", "items": tagged},
                    "mentioned": {"type": "array", "items": tagged,
                                  "description": "Councils its text names that did not take part."},
                    "status": choice, "evidence": tagged,
                    "funding": {"type": "array", "items": funding},
                    "outcomes": {"type": "string"}, "evaluation_url": {"type": "string"},
                    "sources": {"type": "array", "items": source},
                    "written_for_library": {"type": "boolean",
                                            "description": "True for the library's own summary of its sources."},
                    "last_reviewed": {"type": ["string", "null"]},
                    "source_url": {"type": "string"}, "lead_contact": {"type": "string"},
                    "partners": {"type": "array", "items": {"type": "string"},
                                 "description": "Participants named as free text, not in the register."},
                    "url": {"type": "string"}}},
            },
        },
    }  # fmt: skip
