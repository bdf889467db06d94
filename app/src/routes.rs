//! The page routes and the access each one declares.
//!
//! The server registers exactly these paths; every one must appear in [`PAGE_ACCESS`] or
//! the server refuses to start. Paths are in the server router's syntax.

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::components::Header;
use crate::components::error_view::NotFound;
use crate::errors::AppError;
use crate::functions::deploys::get_review_queue;
use crate::functions::viewer::get_viewer;
use crate::models::{Access, PlatformAction, TeamAction, Viewer};
use crate::pages::{
    access::{PlatformAccessPage, TeamAccessPage},
    audit::{PlatformAuditPage, TeamAuditPage},
    code::CodePageView,
    connections::ConnectionsPage,
    dag_detail::DagDetailPage,
    dags::DagsPage,
    deploy_detail::DeployDetailPage,
    deploys::DeploysPage,
    gantt::GanttPageView,
    graph::GraphPageView,
    platform::PlatformPage,
    pools::PoolsPage,
    profile::ProfilePage,
    run_detail::RunDetailPage,
    runs::RunsPage,
    settings::SettingsPage,
    signed_out::SignedOutPage,
    task_log::TaskLogPageView,
    team_home::TeamHomePage,
    team_picker::TeamPicker,
    tokens::TokensPage,
    variables::VariablesPage,
};

pub const PAGE_ACCESS: &[(&str, Access)] = &[
    ("/", Access::Authenticated),
    ("/t/{team}", Access::Team(TeamAction::View)),
    ("/t/{team}/dags", Access::Team(TeamAction::View)),
    (
        "/t/{team}/dags/{environment}/{dag}",
        Access::Team(TeamAction::View),
    ),
    (
        "/t/{team}/dags/{environment}/{dag}/graph",
        Access::Team(TeamAction::View),
    ),
    (
        "/t/{team}/dags/{environment}/{dag}/code",
        Access::Team(TeamAction::View),
    ),
    (
        "/t/{team}/dags/{environment}/{dag}/runs/{run}",
        Access::Team(TeamAction::View),
    ),
    (
        "/t/{team}/dags/{environment}/{dag}/runs/{run}/gantt",
        Access::Team(TeamAction::View),
    ),
    (
        "/t/{team}/dags/{environment}/{dag}/runs/{run}/tasks/{task}",
        Access::Team(TeamAction::View),
    ),
    ("/t/{team}/runs", Access::Team(TeamAction::View)),
    ("/t/{team}/pools", Access::Team(TeamAction::View)),
    ("/t/{team}/connections", Access::Team(TeamAction::View)),
    ("/t/{team}/variables", Access::Team(TeamAction::View)),
    ("/t/{team}/deploys", Access::Team(TeamAction::View)),
    ("/t/{team}/deploys/{id}", Access::Team(TeamAction::View)),
    ("/t/{team}/tokens", Access::Team(TeamAction::ManageTokens)),
    ("/t/{team}/audit", Access::Team(TeamAction::ViewTeamAudit)),
    ("/t/{team}/access", Access::Team(TeamAction::ViewMembers)),
    ("/platform", Access::Platform(PlatformAction::ViewOverview)),
    (
        "/platform/audit",
        Access::Platform(PlatformAction::ViewAudit),
    ),
    (
        "/platform/access",
        Access::Platform(PlatformAction::ViewAccess),
    ),
    ("/profile", Access::Authenticated),
    ("/settings", Access::Authenticated),
    ("/auth/signed-out", Access::Public),
];

/// The `{team}` segment of team pages; the server's page guard reads it by this name.
pub const TEAM_PARAM: &str = "team";

/// The header once who is signed in is known, with the deploys waiting for their review (read
/// again at every navigation, the previous header staying until then). Both are read here,
/// outside the header, so that its server-rendered HTML hydrates as it is.
#[component]
fn SiteHeader(viewer: OnceResource<Result<Viewer, AppError>>) -> impl IntoView {
    let location = use_location();
    let queue = Resource::new(move || location.pathname.get(), |_| get_review_queue());
    view! {
        <Transition fallback=|| view! { <header class="site-header"><a class="brand" href="/">"Hangar"</a></header> }>
            {move || Suspend::new(async move {
                let waiting = queue.await.unwrap_or_default();
                viewer.await.ok().map(|viewer| view! { <Header viewer waiting/> })
            })}
        </Transition>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Who is signed in does not change while a page lives.
    let viewer = OnceResource::new(get_viewer());
    // Set once the WASM has taken over the server-rendered page.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // Times show in the zone the person fixed, else (once hydrated) in the browser's.
    let zone = OnceResource::new(crate::functions::settings::get_time_zone());
    crate::components::time::provide_time_context(
        Signal::derive(move || zone.try_get().flatten().and_then(|z| z.ok()).flatten()),
        hydrated.into(),
    );
    view! {
        <Stylesheet id="hangar-css" href="/pkg/hangar.css"/>
        <Title text="Hangar"/>
        <Router>
            <div id="hangar" data-hydrated=move || hydrated.get().to_string()>
                <SiteHeader viewer/>
                <main>
                    <Routes fallback=|| view! { <NotFound/> }>
                        <Route path=path!("/") view=TeamPicker/>
                        <Route path=path!("/t/:team") view=TeamHomePage/>
                        <Route path=path!("/t/:team/dags") view=DagsPage/>
                        <Route path=path!("/t/:team/dags/:environment/:dag") view=DagDetailPage/>
                        <Route path=path!("/t/:team/dags/:environment/:dag/graph") view=GraphPageView/>
                        <Route path=path!("/t/:team/dags/:environment/:dag/code") view=CodePageView/>
                        <Route path=path!("/t/:team/dags/:environment/:dag/runs/:run") view=RunDetailPage/>
                        <Route path=path!("/t/:team/dags/:environment/:dag/runs/:run/gantt") view=GanttPageView/>
                        <Route path=path!("/t/:team/dags/:environment/:dag/runs/:run/tasks/:task") view=TaskLogPageView/>
                        <Route path=path!("/t/:team/runs") view=RunsPage/>
                        <Route path=path!("/t/:team/pools") view=PoolsPage/>
                        <Route path=path!("/t/:team/connections") view=ConnectionsPage/>
                        <Route path=path!("/t/:team/variables") view=VariablesPage/>
                        <Route path=path!("/t/:team/deploys") view=DeploysPage/>
                        <Route path=path!("/t/:team/deploys/:id") view=DeployDetailPage/>
                        <Route path=path!("/t/:team/tokens") view=TokensPage/>
                        <Route path=path!("/t/:team/audit") view=TeamAuditPage/>
                        <Route path=path!("/t/:team/access") view=TeamAccessPage/>
                        <Route path=path!("/platform") view=PlatformPage/>
                        <Route path=path!("/platform/audit") view=PlatformAuditPage/>
                        <Route path=path!("/platform/access") view=PlatformAccessPage/>
                        <Route path=path!("/profile") view=ProfilePage/>
                        <Route path=path!("/settings") view=SettingsPage/>
                        <Route path=path!("/auth/signed-out") view=SignedOutPage/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
