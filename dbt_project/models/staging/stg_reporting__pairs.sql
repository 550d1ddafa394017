-- raw.pairs as received, one row per pair of the month's file: drop-down values stay the
-- French labels (int_pairs_coded maps them to the référentiel). The birth month stays in raw:
-- nothing downstream needs it (data minimisation).
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
