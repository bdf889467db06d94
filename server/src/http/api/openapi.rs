//! What the generated OpenAPI document cannot learn from a handler's signature: the access
//! and token scope each operation declares in [`API_ROUTES`] (the same values the door
//! checks), the two ways to authenticate, the refusals every protected operation shares, and
//! the document's own operation.

use serde_json::{Value, json};

use super::{API_ROUTES, ApiRoute, OPENAPI};
use hangar_app::models::Access;

/// The document as served: utoipa's operations and schemas, completed from [`API_ROUTES`].
pub fn finish(document: utoipa::openapi::OpenApi) -> String {
    let mut document = serde_json::to_value(document).expect("the document serialises");
    document["components"]["securitySchemes"] = json!({
        "bearerToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "A team API token (hgr_…)."
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": "hangar",
            "description": "A signed-in browser session (`__Host-hangar` over https)."
        }
    });
    for route in API_ROUTES.iter().filter(|route| **route != OPENAPI) {
        let method = route.method.as_str().to_ascii_lowercase();
        let operation = document["paths"][route.path]
            .get_mut(&method)
            .unwrap_or_else(|| {
                panic!("{} {} has no handler description", route.method, route.path)
            });
        describe_protection(operation, route);
    }
    document["paths"][OPENAPI.path] = json!({
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "x-hangar-access": access_name(OPENAPI.access),
            "responses": { "200": { "description": "OpenAPI 3.1" } }
        }
    });
    serde_json::to_string_pretty(&document).expect("the document serialises")
}

/// Who may call `route`, and the answers that say they may not.
fn describe_protection(operation: &mut Value, route: &ApiRoute) {
    operation["x-hangar-access"] = json!(access_name(route.access));
    if let Some(scope) = route.scope {
        operation["x-hangar-token-scope"] = json!(scope);
    }
    operation["security"] = json!([{ "bearerToken": [] }, { "session": [] }]);
    let error = |description: &str| {
        json!({
            "description": description,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
        })
    };
    let responses = &mut operation["responses"];
    responses["401"] = error("No session and no valid token (`WWW-Authenticate: Bearer`).");
    responses["404"] = error(
        "The team does not exist, or the caller holds nothing in it: the two are the same answer.",
    );
    if route.scope.is_some() {
        responses["403"] = error("The token lacks the scope.");
    }
}

/// The access as the document names it: `team:<action>`, `platform:<action>`, …
pub fn access_name(access: Access) -> String {
    let action = |value: serde_json::Result<Value>| {
        value
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    match access {
        Access::Public => "public".into(),
        Access::Authenticated => "authenticated".into(),
        Access::Team(team) => format!("team:{}", action(serde_json::to_value(team))),
        Access::Platform(platform) => {
            format!("platform:{}", action(serde_json::to_value(platform)))
        }
    }
}
