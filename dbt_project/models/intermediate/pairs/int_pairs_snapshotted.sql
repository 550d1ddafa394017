-- The monthly snapshot of pairs: raw.pairs holds, per (period, association), the rows of the
-- latest accepted file only. Flags follow the référentiel §2 definitions exactly.
with

pairs as (
    select * from {{ ref('int_pairs_coded') }}
),

flagged as (
    select
        *,
        coalesce(
            status_code in ('ongoing', 'closed', 'abandoned')
            and match_date <= period_end
            and (end_date is null or end_date >= period),
            false
        ) as is_active,
        coalesce(end_date between period and period_end, false) as is_ended,
        coalesce(match_date between period and period_end, false) as is_matched_in_period,
        -- Mentor codes belong to their association: two associations' "M01" are two mentors.
        association_code || '/' || mentor_id as mentor_key
    from pairs
)

select * from flagged
