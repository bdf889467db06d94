//! What a reader did to a server-written drawing, kept across live updates: the task groups
//! they folded in the DAG page's grid.
//!
//! Why by hand: the grid is HTML the server writes (`read_model/run_grid_html.rs`), and a live
//! update draws it anew from the new data, every group open as the server writes it. The page
//! remembers which groups the reader folded (their `data-group`, from the clicks on their
//! summaries) and folds them again in each new drawing.

use std::collections::HashSet;

/// The group a click on a `<details data-group>`'s summary folds or opens: its id, and
/// whether it is being folded (it is open while the click is handled; the browser toggles it
/// after).
#[cfg(feature = "hydrate")]
pub fn toggled_group(event: &web_sys::Event) -> Option<(String, bool)> {
    use wasm_bindgen::JsCast;
    let target = event.target()?.dyn_into::<web_sys::Element>().ok()?;
    let summary = target.closest("summary").ok()??;
    let details = summary.parent_element()?;
    if details.tag_name() != "DETAILS" {
        return None;
    }
    let id = details.get_attribute("data-group")?;
    Some((id, details.has_attribute("open")))
}

/// Records a fold (or an unfold) in `folded`.
pub fn remember(folded: &mut HashSet<String>, (id, folding): (String, bool)) {
    if folding {
        folded.insert(id);
    } else {
        folded.remove(&id);
    }
}

/// Folds, in `container`'s drawing, the groups in `folded`.
#[cfg(feature = "hydrate")]
pub fn fold_again(container: &web_sys::Element, folded: &HashSet<String>) {
    use wasm_bindgen::JsCast;
    if folded.is_empty() {
        return;
    }
    let Ok(groups) = container.query_selector_all("details[data-group]") else {
        return;
    };
    for index in 0..groups.length() {
        let Some(group) = groups
            .item(index)
            .and_then(|node| node.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        if group
            .get_attribute("data-group")
            .is_some_and(|id| folded.contains(&id))
        {
            let _ = group.remove_attribute("open");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_remembered_until_unfolded() {
        let mut folded = HashSet::new();
        remember(&mut folded, ("section_1".into(), true));
        remember(&mut folded, ("section_2".into(), true));
        remember(&mut folded, ("section_2".into(), false));
        assert_eq!(folded, HashSet::from(["section_1".to_string()]));
    }
}
