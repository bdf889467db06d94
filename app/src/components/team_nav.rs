//! The tabs of a team's pages.

use leptos::prelude::*;

#[component]
pub fn TeamNav(team: String, current: &'static str) -> impl IntoView {
    let tab = move |key: &'static str, label: &'static str, href: String| {
        view! {
            <a href=href aria-current=(current == key).then_some("page")>{label}</a>
        }
    };
    view! {
        <nav class="team-nav" aria-label="Team pages">
            {tab("home", "Overview", format!("/t/{team}"))}
            {tab("dags", "DAGs", format!("/t/{team}/dags"))}
            {tab("runs", "Runs", format!("/t/{team}/runs"))}
            {tab("pools", "Pools", format!("/t/{team}/pools"))}
            {tab("connections", "Connections", format!("/t/{team}/connections"))}
            {tab("variables", "Variables", format!("/t/{team}/variables"))}
            {tab("deploys", "Deploys", format!("/t/{team}/deploys"))}
        </nav>
    }
}
