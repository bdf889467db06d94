//! The page routes and the access each one declares.
//!
//! The server registers exactly these paths; every one must appear in [`PAGE_ACCESS`] or
//! the server refuses to start. Paths are in the server router's syntax.

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::{Lazy, LazyRoute, lazy_route, path};

use crate::components::Header;
use crate::components::error_view::NotFound;
use crate::errors::AppError;
use crate::functions::viewer::{FrameCodec, PageFrame, get_page_frame};
use crate::models::{Access, PlatformAction, TeamAction};
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
    trigger::TriggerPageView,
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
        "/t/{team}/dags/{environment}/{dag}/trigger",
        Access::Team(TeamAction::Trigger),
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

/// Each page is its own chunk of the browser bundle: the first page loads the runtime,
/// the shell and its own views, and another page's code only when it is opened (leptos'
/// lazy routes, split after linking by `end2end/tools/split-bundle`; `build_site` in
/// `end2end/scripts/lib.sh`). On the server a lazy route renders as any other.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident,)*) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                #[cfg(feature = "ssr")]
                crate::shell::preload_lazy_routes();
                view! { <$page/> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    TeamPickerRoute => TeamPicker,
    TeamHomeRoute => TeamHomePage,
    DagsRoute => DagsPage,
    DagDetailRoute => DagDetailPage,
    TriggerRoute => TriggerPageView,
    GraphRoute => GraphPageView,
    CodeRoute => CodePageView,
    RunDetailRoute => RunDetailPage,
    GanttRoute => GanttPageView,
    TaskLogRoute => TaskLogPageView,
    RunsRoute => RunsPage,
    PoolsRoute => PoolsPage,
    ConnectionsRoute => ConnectionsPage,
    VariablesRoute => VariablesPage,
    DeploysRoute => DeploysPage,
    DeployDetailRoute => DeployDetailPage,
    TokensRoute => TokensPage,
    TeamAuditRoute => TeamAuditPage,
    TeamAccessRoute => TeamAccessPage,
    PlatformRoute => PlatformPage,
    PlatformAuditRoute => PlatformAuditPage,
    PlatformAccessRoute => PlatformAccessPage,
    ProfileRoute => ProfilePage,
    SettingsRoute => SettingsPage,
    SignedOutRoute => SignedOutPage,
}

/// The `{team}` segment of team pages; the server's page guard reads it by this name.
pub const TEAM_PARAM: &str = "team";

/// The header once who is signed in is known, with the deploys waiting for their review (the
/// frame is read again at every navigation, the previous header staying until then). Read
/// outside the header, so that its server-rendered HTML hydrates as it is.
#[component]
fn SiteHeader(frame: FrameResource) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <header class="site-header"><a class="brand" href="/">"Hangar"</a></header> }>
            {move || Suspend::new(async move {
                frame.await.ok().map(|PageFrame { viewer, waiting, .. }| view! { <Header viewer waiting/> })
            })}
        </Transition>
    }
}

/// The browser's flag for "the WASM has taken over the server-rendered page", provided by
/// [`crate::hydrate`], which sets it once the page's lazily loaded route has hydrated too (an
/// effect in [`App`] would run before the route's chunk arrived). Absent on the server.
#[derive(Clone, Copy)]
pub struct PageHydrated(pub RwSignal<bool>);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    crate::shell::collect_lazy_routes();
    let hydrated =
        use_context::<PageHydrated>().map_or_else(|| RwSignal::new(false), |flag| flag.0);
    view! {
        <Stylesheet id="hangar-css" href="/pkg/hangar.css"/>
        <Title text="Hangar"/>
        <Router>
            <Framed hydrated/>
        </Router>
    }
}

/// The page's frame as every page may read it (`expect_context`): who is signed in, their
/// review queue, their zone.
#[derive(Clone, Copy)]
pub struct Frame(pub FrameResource);

/// The frame's load, hydrating from the page without the page's own HTML ([`FrameCodec`]).
pub type FrameResource = Resource<Result<PageFrame, AppError>, FrameCodec>;

/// Everything inside the router: the frame's one load (who is signed in, their review queue,
/// their time zone), read again at every navigation, then the header and the page.
#[component]
fn Framed(hydrated: RwSignal<bool>) -> impl IntoView {
    let location = use_location();
    let frame =
        FrameResource::new_with_options(move || location.pathname.get(), get_page_frame, false);
    provide_context(Frame(frame));
    // Times show in the zone the person fixed, else (once hydrated) in the browser's. The
    // server resolved it before rendering (`ReaderZone`) and writes every time in it; the
    // frame hands it to the browser, which keeps the last one it read while a navigation
    // reads the frame again.
    #[cfg(feature = "ssr")]
    let reader_zone =
        Signal::stored(crate::components::time::ReaderZone::of_request().and_then(|zone| zone.0));
    #[cfg(not(feature = "ssr"))]
    let reader_zone = Signal::from(Memo::new(move |last: Option<&Option<String>>| match frame
        .try_get()
        .flatten()
    {
        Some(Ok(frame)) => frame.time_zone,
        // Not signed in (no zone yet), or a navigation's read failed: keep what was shown.
        _ => last.cloned().flatten(),
    }));
    crate::components::time::provide_time_context(reader_zone, hydrated.into());
    view! {
        <div id="hangar" data-hydrated=move || hydrated.get().to_string()>
            <SiteHeader frame/>
            <main>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view={Lazy::<TeamPickerRoute>::new()}/>
                    <Route path=path!("/t/:team") view={Lazy::<TeamHomeRoute>::new()}/>
                    <Route path=path!("/t/:team/dags") view={Lazy::<DagsRoute>::new()}/>
                    <Route path=path!("/t/:team/dags/:environment/:dag") view={Lazy::<DagDetailRoute>::new()}/>
                    <Route path=path!("/t/:team/dags/:environment/:dag/trigger") view={Lazy::<TriggerRoute>::new()}/>
                    <Route path=path!("/t/:team/dags/:environment/:dag/graph") view={Lazy::<GraphRoute>::new()}/>
                    <Route path=path!("/t/:team/dags/:environment/:dag/code") view={Lazy::<CodeRoute>::new()}/>
                    <Route path=path!("/t/:team/dags/:environment/:dag/runs/:run") view={Lazy::<RunDetailRoute>::new()}/>
                    <Route path=path!("/t/:team/dags/:environment/:dag/runs/:run/gantt") view={Lazy::<GanttRoute>::new()}/>
                    <Route path=path!("/t/:team/dags/:environment/:dag/runs/:run/tasks/:task") view={Lazy::<TaskLogRoute>::new()}/>
                    <Route path=path!("/t/:team/runs") view={Lazy::<RunsRoute>::new()}/>
                    <Route path=path!("/t/:team/pools") view={Lazy::<PoolsRoute>::new()}/>
                    <Route path=path!("/t/:team/connections") view={Lazy::<ConnectionsRoute>::new()}/>
                    <Route path=path!("/t/:team/variables") view={Lazy::<VariablesRoute>::new()}/>
                    <Route path=path!("/t/:team/deploys") view={Lazy::<DeploysRoute>::new()}/>
                    <Route path=path!("/t/:team/deploys/:id") view={Lazy::<DeployDetailRoute>::new()}/>
                    <Route path=path!("/t/:team/tokens") view={Lazy::<TokensRoute>::new()}/>
                    <Route path=path!("/t/:team/audit") view={Lazy::<TeamAuditRoute>::new()}/>
                    <Route path=path!("/t/:team/access") view={Lazy::<TeamAccessRoute>::new()}/>
                    <Route path=path!("/platform") view={Lazy::<PlatformRoute>::new()}/>
                    <Route path=path!("/platform/audit") view={Lazy::<PlatformAuditRoute>::new()}/>
                    <Route path=path!("/platform/access") view={Lazy::<PlatformAccessRoute>::new()}/>
                    <Route path=path!("/profile") view={Lazy::<ProfileRoute>::new()}/>
                    <Route path=path!("/settings") view={Lazy::<SettingsRoute>::new()}/>
                    <Route path=path!("/auth/signed-out") view={Lazy::<SignedOutRoute>::new()}/>
                </Routes>
            </main>
        </div>
    }
}
