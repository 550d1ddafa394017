-- Where indicators are published, at every grain: each association for the windows that
-- hold one of its months (int_association_months_listed), and the département for every
-- window. has_pairs_snapshot says whether a file in force gives the association's pairs in
-- the window (a month without a file has none); has_resources whether a file in force of the
-- window's year, up to its end, gives its resources of the year. At département scope they
-- say whether any association has them (int_indicators_completed reads them per population).
with

windows as (
    select * from {{ ref('int_period_windows') }}
),

association_months as (
    select * from {{ ref('int_association_months_listed') }}
),

reports as (
    select * from {{ ref('int_reports_accepted') }}
),

association_windows as (
    select distinct
        windows.period_grain,
        windows.period,
        windows.window_start,
        windows.window_end,
        association_months.association_code
    from windows
    inner join association_months
        on association_months.period between windows.window_start and windows.window_end
),

association_scopes as (
    select
        association_windows.period_grain,
        association_windows.period,
        association_windows.window_start,
        association_windows.window_end,
        'association' as scope,
        association_windows.association_code,
        coalesce(bool_or(
            reports.period between association_windows.window_start
                and association_windows.window_end
        ), false) as has_pairs_snapshot,
        coalesce(bool_or(reports.period is not null), false) as has_resources
    from association_windows
    left join reports
        on reports.association_code = association_windows.association_code
        and extract(year from reports.period) = extract(year from association_windows.window_end)
        and reports.period <= association_windows.window_end
    group by
        association_windows.period_grain,
        association_windows.period,
        association_windows.window_start,
        association_windows.window_end,
        association_windows.association_code
),

departement_scopes as (
    select
        windows.period_grain,
        windows.period,
        windows.window_start,
        windows.window_end,
        'departement' as scope,
        null::varchar as association_code,
        coalesce(bool_or(association_scopes.has_pairs_snapshot), false) as has_pairs_snapshot,
        coalesce(bool_or(association_scopes.has_resources), false) as has_resources
    from windows
    left join association_scopes
        on association_scopes.period_grain = windows.period_grain
        and association_scopes.period = windows.period
    group by windows.period_grain, windows.period, windows.window_start, windows.window_end
)

select * from association_scopes
union all
select * from departement_scopes
