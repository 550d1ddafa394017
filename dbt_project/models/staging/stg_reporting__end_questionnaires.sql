-- raw.end_questionnaires as received (the tab is cumulative over the year).
with

end_questionnaires as (
    select * from {{ source('raw', 'end_questionnaires') }}
),

renamed as (
    select
        {{ raw_row_columns() }},
        pair_id,
        answered_on,
        q_confidence,
        q_better_grades,
        q_internship,
        q_oral,
        q_bonds,
        q_someone,
        q_discoveries,
        has_alerts
    from end_questionnaires
)

select * from renamed
