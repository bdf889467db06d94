//! The environment a create form applies to: a choice when the team's pages show several,
//! a hidden field when there is one.

use leptos::prelude::*;

#[component]
pub fn EnvironmentField(environments: Vec<String>, selected: String) -> impl IntoView {
    if environments.len() <= 1 {
        return view! { <input type="hidden" name="environment" value=selected/> }.into_any();
    }
    view! {
        <label>"Environment "
            <select name="environment">
                {environments.into_iter().map(|e| view! { <option value=e.clone() selected=e == selected>{e.clone()}</option> }).collect_view()}
            </select>
        </label>
    }
    .into_any()
}
