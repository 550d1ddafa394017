-- raw.pairs as received, one row per pair of the month's file: drop-down values stay the
-- French labels (int_pairs_coded maps them to the référentiel). The birth month (never the
-- day) goes on only to give a youth's age at the last day of a quarter or a year, where its
-- pairs' monthly ages may differ; no mart holds it.
with

pairs as (
    select * from {{ source('raw', 'pairs') }}
),

renamed as (
    select
        {{ raw_row_columns() }},
        pair_id,
        youth_key,
        sex,
        birth_month,
        age_at_period_end,
        school_level,
        placement_type,
        territory,
        referring_structure,
        application_date,
        match_date,
        status,
        end_date,
        end_reason,
        objective,
        mode,
        renewal,
        mentor_id,
        mentor_trained,
        meeting_frequency,
        sessions_planned,
        sessions_held,
        objective_met,
        has_alerts
    from pairs
)

select * from renamed
