-- The pairs of each published window, at every grain: raw.pairs holds, per (month,
-- association), the rows of the latest accepted file only (the month's snapshot); a window
-- takes every snapshot of its months and counts each pair once, in its latest state in the
-- window (référentiel §2). A month keeps its own snapshot; a month without a file has none.
-- Flags follow the référentiel §2 definitions over the window's days.
-- Incremental by window and association (macros/incremental.sql): an association's rows of the
-- windows covering a month whose pairs of that association changed, and every association's
-- of the windows new to the calendar.
-- depends_on: {{ ref('int_month_inputs') }}
-- depends_on: {{ ref('int_pair_month_inputs') }}
with

pairs as (
    select * from {{ ref('int_pairs_coded') }}
),

windows as (
    select * from {{ ref('int_period_windows') }}
),

age_bands as (
    select * from {{ ref('ref_age_bands') }}
),

-- The snapshot each pair is taken from: keys first, then the rows joined, since ranking whole
-- rows would carry every column through the ranking (M: 3.2 s against 0.6 s).
latest_snapshots as (
    select
        windows.period_grain,
        windows.period,
        pairs.association_code,
        pairs.pair_id,
        max(pairs.period) as snapshot_period
    from pairs
    inner join windows
        on pairs.period between windows.window_start and windows.window_end
    {{- join_association_windows_rebuilt('windows', 'pairs.association_code') }}
    group by windows.period_grain, windows.period, pairs.association_code, pairs.pair_id
),

-- The youth's age at the window's last day (référentiel §1.7), from the birth month: the last
-- day of a month is past any birthday of that month. A youth whose pairs come from different
-- months' snapshots has one age, hence one band, in the window.
windowed as (
    select
        windows.period_grain,
        windows.period,
        windows.window_start,
        windows.window_end,
        pairs.period as snapshot_period,
        {{ star_except(
            'int_pairs_coded',
            ['period', 'period_end', 'birth_month', 'age_at_period_end', 'age_band_code', 'age_band'],
            'pairs'
        ) }},
        {{ age_at_month_end('pairs.birth_month', 'windows.window_end') }} as age_at_period_end
    from latest_snapshots
    inner join windows
        on windows.period_grain = latest_snapshots.period_grain
        and windows.period = latest_snapshots.period
    inner join pairs
        on pairs.association_code = latest_snapshots.association_code
        and pairs.pair_id = latest_snapshots.pair_id
        and pairs.period = latest_snapshots.snapshot_period
),

aged as (
    select
        windowed.*,
        age_bands.age_band_code,
        age_bands.label_fr as age_band
    from windowed
    left join age_bands
        on windowed.age_at_period_end between age_bands.min_age and age_bands.max_age
),

flagged as (
    select
        *,
        coalesce(
            status_code in ('ongoing', 'closed', 'abandoned')
            and match_date <= window_end
            and (end_date is null or end_date >= window_start),
            false
        ) as is_active,
        coalesce(end_date between window_start and window_end, false) as is_ended,
        coalesce(match_date between window_start and window_end, false) as is_matched_in_period,
        -- Sessions the attendance rate reads: both known, some planned, no more held than
        -- planned (more is queried at intake, DON-050, and left out until corrected).
        coalesce(
            sessions_planned > 0 and sessions_held <= sessions_planned, false
        ) as are_sessions_counted,
        -- Mentor codes belong to their association: two associations' "M01" are two mentors.
        association_code || '/' || mentor_id as mentor_key,
        -- The dbt invocation that computed the window's rows.
        '{{ invocation_id }}' as dbt_invocation_id
    from aged
)

select * from flagged
