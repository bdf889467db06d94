//! `/profile`: the signed-in person's own page. The e-mail addresses their identity provider
//! verified at any sign-in (a team that counts authorship by e-mail treats commits naming
//! them as theirs) and the signing keys they registered (a team that counts it by signatures
//! treats commits signed with them as theirs). A key is registered with a signature, by that
//! key, over a text naming this person: nobody can register someone else's public key.

use leptos::prelude::*;

use crate::components::ErrorView;
use crate::functions::profile::{AddSigningKey, RevokeSigningKey, get_profile};
use crate::models::profile::Profile;
use crate::time_text::utc_minute;

const RETURN_TO: &str = "/profile";

#[component]
pub fn ProfilePage() -> impl IntoView {
    let add = ServerAction::<AddSigningKey>::new();
    let revoke = ServerAction::<RevokeSigningKey>::new();
    let profile = Resource::new(
        move || (add.version().get(), revoke.version().get()),
        |_| get_profile(),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading your profile…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(profile) => view! { <ProfileView profile add revoke/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ProfileView(
    profile: Profile,
    add: ServerAction<AddSigningKey>,
    revoke: ServerAction<RevokeSigningKey>,
) -> impl IntoView {
    let error = move || {
        let last = |v: Option<Result<(), crate::errors::AppError>>| v.and_then(|r| r.err());
        last(add.value().get())
            .or_else(|| last(revoke.value().get()))
            .map(|e| view! { <p class="notice error" role="alert" data-testid="action-error">{e.to_string()}</p> })
    };
    let added = move || {
        matches!(add.value().get(), Some(Ok(())))
            .then(|| view! { <p class="notice" data-testid="key-added">"Key registered."</p> })
    };
    let emails = if profile.verified_emails.is_empty() {
        view! { <p class="muted">"Your identity provider has not verified an address for you yet."</p> }.into_any()
    } else {
        let items = profile
            .verified_emails
            .iter()
            .map(|email| view! { <li>{email.clone()}</li> })
            .collect_view();
        view! { <ul data-testid="verified-emails">{items}</ul> }.into_any()
    };
    let rows = profile
        .keys
        .clone()
        .into_iter()
        .map(|key| {
            let state = if key.revoked_ms.is_some() { "revoked" } else { "active" };
            let control = match key.revoked_ms {
                Some(at) => view! { <span class="muted">{format!("revoked {}", utc_minute(at))}</span> }.into_any(),
                None => view! {
                    <ActionForm action=revoke attr:class="inline-form">
                        <input type="hidden" name="id" value=key.id.to_string()/>
                        <input type="hidden" name="return_to" value=RETURN_TO/>
                        <button type="submit" class="danger" data-testid="revoke-key">"Revoke"</button>
                    </ActionForm>
                }
                .into_any(),
            };
            let fingerprint = key.fingerprint.clone();
            view! {
                <tr data-key=fingerprint data-state=state>
                    <td>{key.kind.to_uppercase()}</td>
                    <td><code>{key.fingerprint}</code></td>
                    <td>{key.label}</td>
                    <td>{utc_minute(key.created_ms)}</td>
                    <td>{control}</td>
                </tr>
            }
        })
        .collect_view();
    let challenge = profile.challenge.clone();
    let ssh = format!(
        "printf '%s' '{challenge}' | ssh-keygen -Y sign -n {} -f ~/.ssh/id_ed25519",
        profile.namespace
    );
    let gpg =
        format!("printf '%s' '{challenge}' | gpg --armor --detach-sign --local-user <your key id>");
    view! {
        <section class="profile">
            <h1>{format!("{} — profile", profile.name)}</h1>
            {error}
            {added}
            <h2>"Verified e-mail addresses"</h2>
            <p class="muted">"Every address your identity provider verified when you signed in. Where a team tells authors by e-mail, a commit naming one of them is yours."</p>
            {emails}
            <h2>"Signing keys"</h2>
            <p class="muted">"Where a team tells authors by signatures (the safer rule), a commit signed with one of your keys is yours: you cannot approve its deploy, and a commit signed with a key nobody registered cannot be deployed without breaking glass. A key belongs to one person; a revoked key no longer vouches for anyone."</p>
            <table class="signing-keys" data-testid="signing-keys">
                <thead><tr><th>"Kind"</th><th>"Fingerprint"</th><th>"Label"</th><th>"Added"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <h2>"Register a key"</h2>
            <ol class="steps-to-register">
                <li>"Sign this text with the key (it names you and this Hangar, so the signature proves the key is yours here):"
                    <pre data-testid="key-challenge">{challenge}</pre>
                    "With SSH: " <pre>{ssh}</pre>
                    "With GnuPG: " <pre>{gpg}</pre>
                </li>
                <li>"Paste the public key and the signature:"</li>
            </ol>
            <ActionForm action=add attr:class="key-form">
                <input type="hidden" name="return_to" value=RETURN_TO/>
                <label>"Public key (ssh-ed25519 AAAA… or an OpenPGP public key block) "
                    <textarea name="public_key" required rows="3" data-testid="key-public"></textarea></label>
                <label>"Signature "
                    <textarea name="proof" required rows="6" data-testid="key-proof"></textarea></label>
                <label>"Label (optional) " <input type="text" name="label" maxlength="80" data-testid="key-label"/></label>
                <button type="submit" data-testid="add-key">"Register the key"</button>
            </ActionForm>
        </section>
    }
}
