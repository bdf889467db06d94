//! `/t/{team}/tokens`: the team's API tokens (for CI to request deploys). Team admins create
//! them with scopes and an expiry — the secret is shown once — rotate them (a new secret) and
//! revoke them; the list shows who created and last rotated each (neither may approve what
//! it requests), when it expires, when it was last used, and whether it stopped working
//! because its creator no longer holds a role that may create tokens.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::ErrorView;
use crate::components::team_nav::TeamNav;
use crate::functions::deploys::{CreateToken, RevokeToken, RotateToken, get_team_tokens};
use crate::models::deploys::{TOKEN_MAX_DAYS, TokenPage};
use crate::paths;
use crate::time_text::utc_minute;

#[component]
pub fn TokensPage() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let rotate = ServerAction::<RotateToken>::new();
    let tokens = Resource::new(
        move || {
            (
                team(),
                create.version().get(),
                revoke.version().get(),
                rotate.version().get(),
            )
        },
        |(team, ..)| get_team_tokens(team),
    );
    view! {
        <TeamNav team=team() current="deploys"/>
        <Transition fallback=|| view! { <p class="loading">"Loading tokens…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(page) => view! { <TokenList page create revoke rotate/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TokenList(
    page: TokenPage,
    create: ServerAction<CreateToken>,
    revoke: ServerAction<RevokeToken>,
    rotate: ServerAction<RotateToken>,
) -> impl IntoView {
    let team = page.team.clone();
    let return_to = paths::tokens(&team);
    // The secret of a token just created or rotated (with JavaScript; without it the answer
    // page shows it).
    let created = move || {
        rotate.value().get().or_else(|| create.value().get()).map(|result| match result {
            Ok(token) => view! {
                <div class="notice" data-testid="token-secret-notice">
                    <p>{format!("Token \"{}\" created. Copy it now: Hangar stores only its hash and cannot show it again.", token.row.name)}</p>
                    <pre data-testid="token-secret">{token.secret}</pre>
                </div>
            }
            .into_any(),
            Err(error) => view! { <p class="notice error" role="alert" data-testid="action-error">{error.to_string()}</p> }.into_any(),
        })
    };
    let rows = page
        .tokens
        .into_iter()
        .map(|token| {
            let state = match (token.revoked_ms, &token.lapsed) {
                (Some(_), _) => "revoked",
                (None, Some(_)) => "lapsed",
                (None, None) => "active",
            };
            let (team, return_to) = (team.clone(), return_to.clone());
            let revoke_form = token.revoked_ms.is_none().then(|| {
                let (rotate_team, rotate_return) = (team.clone(), return_to.clone());
                view! {
                    <ActionForm action=rotate attr:class="inline-form">
                        <input type="hidden" name="team" value=rotate_team/>
                        <input type="hidden" name="id" value=token.id.to_string()/>
                        <input type="hidden" name="return_to" value=rotate_return/>
                        <button type="submit" data-testid="rotate-token">"Rotate"</button>
                    </ActionForm>
                    <ActionForm action=revoke attr:class="inline-form">
                        <input type="hidden" name="team" value=team/>
                        <input type="hidden" name="id" value=token.id.to_string()/>
                        <input type="hidden" name="return_to" value=return_to/>
                        <button type="submit" class="danger" data-testid="revoke-token">"Revoke"</button>
                    </ActionForm>
                }
            });
            let rotated = token.rotated_by.clone().map(|by| {
                format!("; rotated by {by} on {}", token.rotated_ms.map(utc_minute).unwrap_or_default())
            });
            let lapsed = token.lapsed.clone().map(|why| {
                view! { <p class="notice error" data-testid="token-lapsed">{why}</p> }
            });
            view! {
                <tr data-token=token.name.clone() data-state=state>
                    <td>{token.name.clone()}</td>
                    <td>{token.scopes.join(", ")}</td>
                    <td>{format!("{} on {}", token.created_by, utc_minute(token.created_ms))}{rotated}</td>
                    <td>{utc_minute(token.expires_ms)}</td>
                    <td data-testid="token-last-used">{token.last_used_ms.map(utc_minute).unwrap_or_else(|| "never".into())}</td>
                    <td>{token.revoked_ms.map(|at| format!("revoked {}", utc_minute(at))).unwrap_or_default()}{lapsed}{revoke_form}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="tokens">
            <h1>"API tokens"</h1>
            <p class="muted">"CI opens deploy requests with a token: "
                <code>{format!("POST /api/v1/teams/{team}/deploys")}</code>
                " with " <code>"Authorization: Bearer …"</code> " and " <code>"{\"commit\": \"<sha>\"}"</code>
                ". Every operation is described in " <a href="/api/v1/openapi.json">"the API's OpenAPI document"</a> "."</p>
            <p class="muted">"A deploy a token requests is also its creator's and its last rotator's: neither of them may approve it. A token stops working when its creator (or whoever last rotated it) no longer holds a role in this team that may create tokens."</p>
            {created}
            <table class="token-list" data-testid="token-list">
                <thead><tr><th>"Name"</th><th>"Scopes"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <h2>"New token"</h2>
            <ActionForm action=create attr:class="token-form">
                <input type="hidden" name="team" value=team.clone()/>
                <input type="hidden" name="return_to" value=return_to.clone()/>
                <label>"Name " <input type="text" name="name" required maxlength="80" data-testid="token-name"/></label>
                <label><input type="checkbox" name="scope_request" value="true" checked/>" open deploy requests"</label>
                <label><input type="checkbox" name="scope_read" value="true" checked/>" read deploy requests"</label>
                <label><input type="checkbox" name="scope_team_read" value="true"/>" read DAGs, runs and pools"</label>
                <label>"Expires after (days) " <input type="number" name="days" min="1" max=TOKEN_MAX_DAYS.to_string() value="90" required/></label>
                <button type="submit" data-testid="create-token">"Create token"</button>
            </ActionForm>
        </section>
    }
}
