//! The DAG's graph, a run's Gantt chart and the DAG's code: pictures and text the server
//! draws (SVG, highlighted HTML) so they work without JavaScript and add nothing to the
//! browser bundle.
//!
//! When the server renders one of these pages itself, the drawing goes out once, in the HTML
//! (`*_html`, never serialised); the browser keeps it while it hydrates. A page the browser
//! fetches (a live update, a client-side navigation) carries it as data instead.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::runs::RunRow;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphPage {
    pub environment: String,
    pub dag_id: String,
    pub dag_display_name: String,
    pub shared: bool,
    /// The run whose states colour the tasks, if one was chosen.
    pub run: Option<RunRow>,
    /// The DAG's latest runs, to choose from (newest first).
    pub runs: Vec<RunRow>,
    pub tasks: usize,
    /// Every task group, outermost first, and those shown folded.
    pub groups: Vec<String>,
    pub folded: Vec<String>,
    /// The drawing (SVG) as data; empty when it travels as `svg_html`.
    pub svg: String,
    #[serde(skip)]
    pub svg_html: Option<Arc<str>>,
}

impl GraphPage {
    /// The SVG to put on the page.
    pub fn drawing(&self) -> Arc<str> {
        self.svg_html
            .clone()
            .unwrap_or_else(|| Arc::from(self.svg.as_str()))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GanttPage {
    pub run: RunRow,
    pub dag_display_name: String,
    pub shared: bool,
    pub rows: usize,
    pub svg: String,
    #[serde(skip)]
    pub svg_html: Option<Arc<str>>,
}

impl GanttPage {
    pub fn drawing(&self) -> Arc<str> {
        self.svg_html
            .clone()
            .unwrap_or_else(|| Arc::from(self.svg.as_str()))
    }
}

/// A DAG file's code as Airflow keeps it, highlighted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodePage {
    pub environment: String,
    pub dag_id: String,
    pub dag_display_name: String,
    pub shared: bool,
    /// The file, inside its bundle.
    pub file: Option<String>,
    /// The DAG version shown, and the run it was chosen for.
    pub version: Option<i64>,
    pub run_id: Option<String>,
    pub line_count: usize,
    /// The file as numbered, highlighted lines (HTML written and escaped on the server);
    /// empty when it travels as `html_kept`.
    pub html: String,
    #[serde(skip)]
    pub html_kept: Option<Arc<str>>,
}

impl CodePage {
    pub fn code(&self) -> Arc<str> {
        self.html_kept
            .clone()
            .unwrap_or_else(|| Arc::from(self.html.as_str()))
    }
}
