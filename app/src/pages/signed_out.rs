//! `/auth/signed-out`: where the identity provider sends the browser after sign-out.
//! Public and data-free; the benchmark's baseline for "a page of this server".

use leptos::prelude::*;

#[component]
pub fn SignedOutPage() -> impl IntoView {
    view! {
        <section class="notice" data-testid="signed-out">
            <h1>"You are signed out"</h1>
            <p>"Your Hangar session has ended."</p>
            <p><a class="button" href="/auth/login" rel="external">"Sign in again"</a></p>
        </section>
    }
}
