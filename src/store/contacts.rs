//! A member's contact details corrected by whoever follows them (their
//! representative included): five columns, nothing else, with the member
//! form's version check and one audit row per changed field.
use sqlx::{PgConnection, QueryBuilder};

use crate::domain::contact::ContactDraft;
use crate::domain::scope::Scope;
use crate::store::audit::{self, Change};
use crate::store::members::{SaveError, push_scope};

/// Saves the contact details edited on `version`; refused (`Stale`) if the
/// file was saved meanwhile, `NotFound` outside the scope.
pub async fn update(
    conn: &mut PgConnection,
    scope: Scope,
    actor_id: i64,
    id: i64,
    version: i32,
    draft: &ContactDraft,
) -> Result<(), SaveError> {
    #[derive(sqlx::FromRow)]
    struct Old {
        version: i32,
        business_name: String,
        email: String,
        phone: String,
        city: String,
        notes: String,
    }
    let mut lock = QueryBuilder::new(
        "SELECT m.version, m.business_name, m.email, m.phone, m.city, m.notes \
         FROM members m WHERE m.id = ",
    );
    lock.push_bind(id);
    push_scope(&mut lock, scope);
    lock.push(" FOR UPDATE");
    let old: Option<Old> = lock.build_query_as().fetch_optional(&mut *conn).await?;
    let old = old.ok_or(SaveError::NotFound)?;
    if old.version != version {
        return Err(SaveError::Stale);
    }
    sqlx::query(
        "UPDATE members SET business_name = $2, email = $3, phone = $4, city = $5, notes = $6, \
         version = version + 1, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(&draft.business_name)
    .bind(&draft.email)
    .bind(&draft.phone)
    .bind(&draft.city)
    .bind(&draft.notes)
    .execute(&mut *conn)
    .await?;
    // The same field labels as the member form's audit rows.
    let changes = [
        ("Entreprise", old.business_name, &draft.business_name),
        ("Courriel", old.email, &draft.email),
        ("Téléphone", old.phone, &draft.phone),
        ("Ville", old.city, &draft.city),
        ("Notes", old.notes, &draft.notes),
    ];
    for (field, before, after) in changes {
        if &before != after {
            audit::record(
                conn,
                Some(actor_id),
                Change {
                    entity: "member",
                    entity_id: id,
                    field,
                    old_value: Some(before),
                    new_value: Some(after.clone()),
                },
            )
            .await?;
        }
    }
    Ok(())
}
