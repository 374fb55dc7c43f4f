//! The home page of each role: counts by colour for the user's scope and
//! the most urgent members.
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;

use crate::domain::formula::Colour;
use crate::domain::user::Role;
use crate::store::escalations::{self, QueueView};
use crate::store::{members, timeline as timeline_store};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::AppResult;
use crate::web::layout::Layout;
use crate::web::members::{MemberLine, line};

/// How many urgent members the home page lists.
pub const URGENT_COUNT: i64 = 20;

/// `/` sends each user to their role's home.
pub async fn root(CurrentUser(user): CurrentUser) -> Redirect {
    Redirect::to(user.role.home_path())
}

pub struct ColourCount {
    pub colour: Colour,
    pub count: i64,
    pub meaning: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "home/home.html")]
pub struct HomePage {
    layout: Layout,
    heading: &'static str,
    intro: &'static str,
    counts: Vec<ColourCount>,
    urgent: Vec<MemberLine>,
    show_representative: bool,
    show_district: bool,
    /// Escalations waiting for this user's answer, and how many are late.
    pending_escalations: i64,
    late_escalations: i64,
}

/// Counts with the words that explain each colour.
pub fn colour_counts(counts: Vec<(Colour, i64)>) -> Vec<ColourCount> {
    counts
        .into_iter()
        .map(|(colour, count)| ColourCount {
            colour,
            count,
            meaning: meaning(colour),
        })
        .collect()
}

fn meaning(c: Colour) -> &'static str {
    match c {
        Colour::Red => "critique",
        Colour::Orange => "passe bientôt au rouge",
        Colour::Yellow => "attention particulière",
        Colour::Green => "sans urgence",
    }
}

async fn home(
    state: &AppState,
    user: &CurrentUser,
    role: Role,
    heading: &'static str,
    intro: &'static str,
) -> AppResult<HomePage> {
    user.require(&[role])?;
    let scope = user.scope();
    let today = state.today();
    let timelines = timeline_store::load(&state.pool).await?;
    let counts =
        colour_counts(members::count_by_colour(&state.pool, scope, &timelines, today).await?);
    let urgent = members::most_urgent(&state.pool, scope, &timelines, today, URGENT_COUNT)
        .await?
        .iter()
        .map(|r| line(r, &timelines, today))
        .collect();
    let view = match scope {
        crate::domain::scope::Scope::District(d) => QueueView::District(d),
        _ => QueueView::Network,
    };
    let (pending_escalations, late_escalations) =
        escalations::pending_counts(&state.pool, view, today).await?;
    Ok(HomePage {
        pending_escalations,
        late_escalations,
        layout: Layout::new(heading, &user.0, role.home_path()),
        heading,
        intro,
        counts,
        urgent,
        show_representative: role != Role::Representative,
        show_district: role == Role::Direction,
    })
}

pub async fn district_manager(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<HomePage> {
    home(
        &state,
        &user,
        Role::DistrictManager,
        "Mon district",
        "Les membres actifs de votre district selon l'étape de leur renouvellement.",
    )
    .await
}

pub async fn direction(State(state): State<AppState>, user: CurrentUser) -> AppResult<HomePage> {
    home(
        &state,
        &user,
        Role::Direction,
        "Direction",
        "Tout le réseau : les renouvellements par couleur et les plus urgents.",
    )
    .await
}
