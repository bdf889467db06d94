//! What the frame around every page shows: who is signed in, and what follows them.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::{Deserialize, Serialize};

use crate::errors::AppError;
use crate::functions::team::TeamHomeHtml;
use crate::models::Viewer;
use crate::models::deploys::WaitingReview;

/// What the frame around every page needs, in one answer: each load is a resource of its
/// own in every render (a suspense boundary and a serialised answer), and the frame's three
/// were a fifth of a page's render (docs/benchmarks.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageFrame {
    pub viewer: Viewer,
    /// The deploys waiting for the viewer's review (only teams where they may approve).
    pub waiting: Vec<WaitingReview>,
    /// The zone the viewer fixed their pages to (`None`: the browser's own).
    pub time_zone: Option<String>,
    /// On a team's home page (`/t/{team}`), the page itself, read with the frame: a load of
    /// its own was a second resource and server call in the page's render, the largest part
    /// of what the team page cost beyond the frame (docs/benchmarks.md). It is read through
    /// the team home's own door, with its own access check, and carried as HTML text, so
    /// that the bundle every page loads holds no reader of the home's data; `None` on every
    /// other page.
    pub team_home: Option<Result<TeamHomeHtml, AppError>>,
}

impl PageFrame {
    /// The frame as the page's hydration data carries it: everything but the page HTML
    /// written on the server ([`TeamHomeHtml::shape`]), which the page itself holds already.
    pub fn hydration_data(&self) -> PageFrame {
        let PageFrame {
            viewer,
            waiting,
            time_zone,
            team_home,
        } = self;
        PageFrame {
            viewer: viewer.clone(),
            waiting: waiting.clone(),
            time_zone: time_zone.clone(),
            team_home: team_home
                .as_ref()
                .map(|home| home.as_ref().map(TeamHomeHtml::shape).map_err(Clone::clone)),
        }
    }
}

/// How the frame travels from the server's render to the browser that hydrates it: JSON, as
/// leptos' default codec, without the HTML text the page shows through `inner_html` (the
/// team home). Hydrating leaves an element's inner HTML as the server wrote it, so the
/// browser needs only the shape; carried in full, the home's text was written into the page
/// twice, the second time escaped twice (JSON in a script's string), and that
/// serialisation was the largest part of what the team page cost beyond the trivial page
/// (docs/benchmarks.md). A frame the browser asks for (`/api/page_frame`, at every
/// navigation) comes in full, and the page writes its text then.
pub struct FrameCodec;

impl Encoder<Result<PageFrame, AppError>> for FrameCodec {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(frame: &Result<PageFrame, AppError>) -> Result<String, Self::Error> {
        serde_json::to_string(&frame.as_ref().map(PageFrame::hydration_data))
    }
}

impl Decoder<Result<PageFrame, AppError>> for FrameCodec {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<Result<PageFrame, AppError>, Self::Error> {
        serde_json::from_str(text)
    }
}

#[server(prefix = "/api", endpoint = "page_frame", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_page_frame(path: String) -> Result<PageFrame, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_PAGE_FRAME, None)?;
    // The zone this page's times were written in, as the server resolved it before rendering
    // (`ReaderZone`), so that the browser takes over the same one; read when not rendering.
    // Neither read fails the frame (both log their errors): a header without its review
    // count, or times in UTC, beat a page without a header.
    let time_zone = match crate::components::time::ReaderZone::of_request() {
        Some(crate::components::time::ReaderZone(zone)) => zone,
        None => super::ports::preferences()?.reader_zone(&acting).await,
    };
    let waiting = super::ports::deploys()?.waiting_for_review(&acting).await;
    let team_home = match crate::paths::team_of_home(&path) {
        Some(team) => Some(
            super::team::get_team_home(team)
                .await
                .map(crate::pages::team_home::team_home_html),
        ),
        None => None,
    };
    Ok(PageFrame {
        viewer: acting.viewer,
        waiting,
        time_zone,
        team_home,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{TeamGrant, TeamMembership, TeamRole};

    fn frame(team_home: Option<Result<TeamHomeHtml, AppError>>) -> PageFrame {
        PageFrame {
            viewer: Viewer {
                display_name: "Carol Crosswise".into(),
                email: Some("carol@example.com".into()),
                platform_role: None,
                teams: vec![TeamMembership {
                    team: "team_a".into(),
                    display_name: "Team A".into(),
                    grant: TeamGrant {
                        role: Some(TeamRole::Author),
                        platform: None,
                    },
                }],
            },
            waiting: Vec::new(),
            time_zone: Some("Europe/Paris".into()),
            team_home,
        }
    }

    fn home(deployed: Option<&str>) -> TeamHomeHtml {
        TeamHomeHtml {
            team: "team_a".into(),
            sections: "<h1>Team A</h1><tr><td>Trigger DAG runs</td></tr><h2>Where tasks run</h2>"
                .into(),
            deployed: deployed.map(Into::into),
        }
    }

    fn hydrated(frame: &Result<PageFrame, AppError>) -> Result<PageFrame, AppError> {
        FrameCodec::decode(&FrameCodec::encode(frame).unwrap()).unwrap()
    }

    #[test]
    fn the_hydration_data_leaves_out_the_homes_text_and_keeps_its_shape() {
        for deployed in [None, Some("<p>main at abc1234</p>")] {
            let written = Ok(frame(Some(Ok(home(deployed)))));
            let encoded = FrameCodec::encode(&written).unwrap();
            for text in [
                "Team A</h1>",
                "Trigger DAG runs",
                "Where tasks run",
                "abc1234",
            ] {
                assert!(!encoded.contains(text), "{text} in {encoded}");
            }
            let Ok(PageFrame {
                team_home: Some(Ok(shape)),
                ..
            }) = hydrated(&written)
            else {
                panic!("the home's shape was lost: {encoded}");
            };
            assert_eq!(shape.team, "team_a");
            assert_eq!(shape.sections, "");
            // A section the server wrote is there to hydrate, empty; one it did not write is not.
            assert_eq!(shape.deployed, deployed.map(|_| String::new()));
        }
    }

    #[test]
    fn the_hydration_data_keeps_everything_else() {
        for written in [
            Ok(frame(None)),
            Ok(frame(Some(Err(AppError::NotFound)))),
            Err(AppError::Unauthenticated),
        ] {
            assert_eq!(hydrated(&written), written);
        }
    }
}
