//! Importing members from a CSV file: upload, preview, confirmation.
//!
//! The uploaded file stays on the server (`import_uploads`, for its
//! uploader, two hours); the preview and the confirmation read it again
//! and compute the outcome of every line afresh. The confirmation is one
//! transaction, refused (and the preview shown again) if the outcome
//! differs from the one the person saw.
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::PgConnection;

use crate::domain::format::date_fr;
use crate::domain::import::{self, FileError, ImportFile, Outcome, Plan, PlannedLine};
use crate::domain::scope::Scope;
use crate::domain::user::Role;
use crate::store::import::{self as store, ImportRecord, Importer, WriteError};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{self, Cell, CsvEncoder, Dialect};
use crate::web::error::{AppError, AppResult};
use crate::web::form::{Form, Path, Query};
use crate::web::layout::Layout;
use crate::web::members::Pager;

/// Direction, and district managers for their district.
pub const IMPORTERS: [Role; 2] = [Role::DistrictManager, Role::Direction];
/// The upload's body limit (the site's is 4 MB): 20,000 lines fit.
pub const UPLOAD_LIMIT: usize = 16 * 1024 * 1024;
/// Lines of the preview per page (refused first, then changes).
const PREVIEW_PAGE: usize = 100;

// -- Upload ---------------------------------------------------------------------

pub struct RecordLine {
    pub id: i64,
    pub at: String,
    pub who: String,
    pub file_name: String,
    pub summary: String,
}

fn record_line(r: &ImportRecord, tz: chrono_tz::Tz) -> RecordLine {
    let local = r.imported_at.with_timezone(&tz);
    RecordLine {
        id: r.id,
        at: format!(
            "{} à {}",
            date_fr(local.date_naive()),
            local.format("%-H h %M")
        ),
        who: r.user_name.clone(),
        file_name: r.file_name.clone(),
        summary: format!(
            "{} ligne{} : {} créé{}, {} mis à jour, {} inchangé{}, {} refusé{}",
            r.lines,
            plural(r.lines),
            r.created,
            plural(r.created),
            r.updated,
            r.unchanged,
            plural(r.unchanged),
            r.refused,
            plural(r.refused),
        ),
    }
}

fn plural(n: i32) -> &'static str {
    if n > 1 { "s" } else { "" }
}

#[derive(Template, WebTemplate)]
#[template(path = "import/upload.html")]
pub struct UploadPage {
    layout: Layout,
    error: Option<String>,
    done: Option<RecordLine>,
    recent: Vec<RecordLine>,
    max_lines: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UploadQuery {
    importation: Option<String>,
}

async fn upload_page_with(
    state: &AppState,
    user: &CurrentUser,
    error: Option<String>,
    done_id: Option<i64>,
) -> AppResult<UploadPage> {
    let tz = state.config.time_zone;
    let records = store::recent(&state.pool, user.scope(), 10).await?;
    let done = done_id
        .and_then(|id| records.iter().find(|r| r.id == id))
        .map(|r| record_line(r, tz));
    Ok(UploadPage {
        layout: Layout::new("Importer des membres", &user.0, "/membres"),
        error,
        done,
        recent: records.iter().map(|r| record_line(r, tz)).collect(),
        max_lines: "20\u{a0}000".into(),
    })
}

pub async fn upload_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<UploadQuery>,
) -> AppResult<UploadPage> {
    user.require(&IMPORTERS)?;
    let done = q.importation.and_then(|s| s.trim().parse().ok());
    upload_page_with(&state, &user, None, done).await
}

/// The upload form again with a message about the file.
async fn refused_upload(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    message: String,
) -> AppResult<Response> {
    let page = upload_page_with(state, user, Some(message), None).await?;
    Ok((status, page).into_response())
}

/// A file name as shown: its last part, printable, not too long.
fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    if name.trim().is_empty() {
        "fichier.csv".into()
    } else {
        name.trim().to_string()
    }
}

pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    user.require(&IMPORTERS)?;
    // A post that is not a file upload at all (a forged or broken form).
    let Ok(mut multipart) = multipart else {
        return refused_upload(
            &state,
            &user,
            StatusCode::BAD_REQUEST,
            "L'envoi du fichier a échoué ou est incomplet. Choisissez le fichier de nouveau."
                .into(),
        )
        .await;
    };
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return multipart_refused(&state, &user, e).await,
        };
        if field.name() != Some("fichier") {
            continue;
        }
        let name = clean_file_name(field.file_name().unwrap_or(""));
        match field.bytes().await {
            Ok(bytes) => file = Some((name, bytes.to_vec())),
            Err(e) => return multipart_refused(&state, &user, e).await,
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return refused_upload(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choisissez un fichier CSV à importer.".into(),
        )
        .await;
    };
    if let Err(e) = import::read(&bytes) {
        return refused_upload(&state, &user, StatusCode::UNPROCESSABLE_ENTITY, e.message()).await;
    }
    let token = store::save_upload(&state.pool, user.0.id, &name, &bytes).await?;
    Ok(Redirect::to(&format!("/membres/import/{token}")).into_response())
}

async fn multipart_refused(
    state: &AppState,
    user: &CurrentUser,
    e: axum::extract::multipart::MultipartError,
) -> AppResult<Response> {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return refused_upload(
            state,
            user,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Ce fichier dépasse {} Mo : séparez-le en plusieurs fichiers.",
                UPLOAD_LIMIT / (1024 * 1024)
            ),
        )
        .await;
    }
    tracing::debug!(error = %e, "envoi de fichier illisible");
    refused_upload(
        state,
        user,
        StatusCode::BAD_REQUEST,
        "L'envoi du fichier a échoué ou est incomplet. Choisissez le fichier de nouveau.".into(),
    )
    .await
}

// -- Preview ----------------------------------------------------------------------

/// The outcome of every line of the file, checked against the database as
/// it is now (`lock`: the members matched are locked until the end of the
/// transaction).
async fn compute(
    conn: &mut PgConnection,
    scope: Scope,
    file: &ImportFile,
    lock: bool,
) -> Result<Plan, sqlx::Error> {
    let directory = store::directory(&mut *conn, scope).await?;
    let (emails, names) = file.match_keys();
    let existing = store::existing(&mut *conn, scope, &emails, &names, lock).await?;
    let seats = import::claimable_seats(file, &directory);
    let holders = store::seat_holders(&mut *conn, &seats).await?;
    Ok(import::plan(file, &directory, &existing, &holders))
}

fn valid_token(token: &str) -> AppResult<()> {
    if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// The stored file of `token`, read (404 if it is not this user's or has
/// expired).
async fn load(
    conn: &mut PgConnection,
    user: &CurrentUser,
    token: &str,
    lock: bool,
) -> AppResult<(String, ImportFile)> {
    valid_token(token)?;
    let upload = store::load_upload(conn, user.0.id, token, lock)
        .await?
        .ok_or(AppError::NotFound)?;
    let file =
        import::read(&upload.content).map_err(|e: FileError| AppError::BadRequest(e.message()))?;
    Ok((upload.file_name, file))
}

pub struct PreviewLine {
    pub line: u64,
    pub key: &'static str,
    pub label: &'static str,
    pub name: String,
    pub email: String,
    pub details: Vec<String>,
}

fn preview_line(l: &PlannedLine) -> PreviewLine {
    let details = match &l.outcome {
        Outcome::Refused(errors) => errors
            .iter()
            .map(|(col, msg)| format!("{col} : {msg}"))
            .collect(),
        Outcome::Update { changes, .. } => changes
            .iter()
            .map(|c| {
                let shown = |v: &str| {
                    if v.is_empty() {
                        "(vide)".to_string()
                    } else {
                        v.to_string()
                    }
                };
                format!("{} : {} → {}", c.field, shown(&c.old), shown(&c.new))
            })
            .collect(),
        other => vec![other.detail()],
    };
    PreviewLine {
        line: l.line,
        key: l.outcome.key(),
        label: l.outcome.label(),
        name: l.name.clone(),
        email: l.email.clone(),
        details,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "import/preview.html")]
pub struct PreviewPage {
    layout: Layout,
    token: String,
    file_name: String,
    encoding: &'static str,
    separator: &'static str,
    counts: import::Counts,
    fingerprint: String,
    lines: Vec<PreviewLine>,
    listed: usize,
    pager: Pager,
    notice: Option<String>,
    csv_href: String,
    csv_comma_href: String,
}

impl PreviewPage {
    /// « En confirmant, … », naming only what happens.
    fn what_confirming_does(&self) -> String {
        let (c, u) = (self.counts.create, self.counts.update);
        let created = match c {
            1 => "1 membre sera créé".to_string(),
            n => format!("{n} membres seront créés"),
        };
        let updated = |alone: bool| match (u, alone) {
            (1, true) => "1 fiche sera mise à jour".to_string(),
            (n, true) => format!("{n} fiches seront mises à jour"),
            (1, false) => "1 fiche mise à jour".to_string(),
            (n, false) => format!("{n} fiches mises à jour"),
        };
        let what = match (c, u) {
            (_, 0) => created,
            (0, _) => updated(true),
            _ => format!("{created} et {}", updated(false)),
        };
        format!("En confirmant, {what}, en une seule fois.")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PreviewQuery {
    page: String,
}

fn preview_page(
    user: &CurrentUser,
    token: &str,
    file_name: String,
    file: &ImportFile,
    plan: &Plan,
    page: usize,
    notice: Option<String>,
) -> PreviewPage {
    // Refused lines first, then updates and creations; unchanged lines
    // are counted (and in the downloadable list), not listed.
    let rank = |o: &Outcome| match o {
        Outcome::Refused(_) => 0,
        Outcome::Update { .. } => 1,
        Outcome::Create { .. } => 2,
        Outcome::Unchanged { .. } => 3,
    };
    let mut listed: Vec<&PlannedLine> = plan
        .lines
        .iter()
        .filter(|l| !matches!(l.outcome, Outcome::Unchanged { .. }))
        .collect();
    listed.sort_by_key(|l| (rank(&l.outcome), l.line));
    let pages = listed.len().div_ceil(PREVIEW_PAGE).max(1);
    let page = page.clamp(1, pages);
    let href = |p: usize| format!("/membres/import/{token}?page={p}");
    let csv_href = format!("/membres/import/{token}/rapport.csv");
    PreviewPage {
        layout: Layout::new("Aperçu de l'importation", &user.0, "/membres"),
        token: token.to_string(),
        file_name,
        encoding: file.encoding.label(),
        separator: if file.separator == ',' {
            "virgule"
        } else {
            "point-virgule"
        },
        counts: plan.counts,
        fingerprint: plan.fingerprint(),
        lines: listed
            .iter()
            .skip((page - 1) * PREVIEW_PAGE)
            .take(PREVIEW_PAGE)
            .map(|l| preview_line(l))
            .collect(),
        listed: listed.len(),
        pager: Pager {
            page: page as i64,
            pages: pages as i64,
            more: false,
            prev_href: (page > 1).then(|| href(page - 1)),
            next_href: (page < pages).then(|| href(page + 1)),
        },
        notice,
        csv_comma_href: csv::comma_href(&csv_href),
        csv_href,
    }
}

pub async fn preview(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(token): Path<String>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<PreviewPage> {
    user.require(&IMPORTERS)?;
    let mut conn = state.pool.acquire().await?;
    let (file_name, file) = load(&mut conn, &user, &token, false).await?;
    let plan = compute(&mut conn, user.scope(), &file, false).await?;
    let page = q.page.trim().parse().unwrap_or(1);
    Ok(preview_page(
        &user, &token, file_name, &file, &plan, page, None,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    format: Option<String>,
}

/// Every line's outcome as CSV (the preview lists a page at a time).
pub async fn report_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(token): Path<String>,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    user.require(&IMPORTERS)?;
    let mut conn = state.pool.acquire().await?;
    let (_, file) = load(&mut conn, &user, &token, false).await?;
    let plan = compute(&mut conn, user.scope(), &file, false).await?;
    let mut out = CsvEncoder::new(
        Dialect::from_param(q.format.as_deref()),
        &["Ligne", "Résultat", "Membre", "Courriel", "Détail"],
    )?;
    for l in &plan.lines {
        out.row([
            Cell::Int(i64::try_from(l.line).unwrap_or(i64::MAX)),
            Cell::from(l.outcome.label()),
            Cell::from(&l.name),
            Cell::from(&l.email),
            Cell::from(l.outcome.detail()),
        ])?;
    }
    out.into_response("importation-apercu")
}

// -- Confirmation -------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    empreinte: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(token): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> AppResult<Response> {
    user.require(&IMPORTERS)?;
    let scope = user.scope();
    let mut tx = state.pool.begin().await?;
    let t = std::time::Instant::now();
    let (file_name, file) = load(&mut tx, &user, &token, true).await?;
    let plan = compute(&mut tx, scope, &file, true).await?;
    if plan.fingerprint() != form.empreinte.trim() {
        tx.rollback().await?;
        let notice = "Les membres ou le fichier ont changé depuis l'aperçu : voici l'aperçu à \
                      jour. Rien n'a été enregistré ; vérifiez-le puis confirmez de nouveau.";
        return Ok(conflict(&user, &token, file_name, &file, &plan, notice));
    }
    if !plan.counts.writes() {
        tx.rollback().await?;
        let notice = "Ce fichier ne crée ni ne modifie aucun membre : rien à importer.";
        return Ok(conflict(&user, &token, file_name, &file, &plan, notice));
    }
    let who = Importer {
        user_id: user.0.id,
        district_id: scope.district(),
        file_name: &file_name,
        token: &token,
    };
    match store::write(&mut tx, &who, &plan).await {
        Ok(id) => {
            tx.commit().await?;
            tracing::info!(
                import = id,
                lines = plan.counts.lines(),
                created = plan.counts.create,
                updated = plan.counts.update,
                elapsed_ms = t.elapsed().as_millis(),
                "importation de membres enregistrée"
            );
            Ok(Redirect::to(&format!("/membres/import?importation={id}")).into_response())
        }
        Err(WriteError::SeatTaken) => {
            tx.rollback().await?;
            let mut conn = state.pool.acquire().await?;
            let fresh = compute(&mut conn, scope, &file, false).await?;
            let notice = "Un siège exclusif a été pris entre-temps par une autre saisie : rien \
                          n'a été enregistré. Vérifiez l'aperçu à jour puis confirmez de nouveau.";
            Ok(conflict(
                &user,
                &token,
                file_name.clone(),
                &file,
                &fresh,
                notice,
            ))
        }
        Err(WriteError::Db(e)) => Err(e.into()),
    }
}

/// The preview again, with why the confirmation was not carried out.
fn conflict(
    user: &CurrentUser,
    token: &str,
    file_name: String,
    file: &ImportFile,
    plan: &Plan,
    notice: &str,
) -> Response {
    let page = preview_page(user, token, file_name, file, plan, 1, Some(notice.into()));
    (StatusCode::CONFLICT, page).into_response()
}
