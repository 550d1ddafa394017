-- Resources are declared for the calendar year to date: for a window (a month, a quarter, a
-- year to date, a year), an association's resources are the rows of its latest accepted file
-- of the window's year up to the window's end (the whole file wins, even when its Ressources
-- tab is empty). A month without a file carries the year's latest file forward; before the
-- year's first file there is none (int_indicators_completed says « aucun fichier »).
with

scopes as (
    select * from {{ ref('int_indicator_scopes_listed') }}
    where scope = 'association'
),

reports as (
    select * from {{ ref('int_reports_accepted') }}
),

resources as (
    select * from {{ ref('int_resources_coded') }}
),

latest_files as (
    select
        scopes.period_grain,
        scopes.period,
        scopes.association_code,
        scopes.window_end,
        max(reports.period) as file_period
    from scopes
    inner join reports
        on reports.association_code = scopes.association_code
        and extract(year from reports.period) = extract(year from scopes.window_end)
        and reports.period <= scopes.window_end
    group by scopes.period_grain, scopes.period, scopes.association_code, scopes.window_end
)

select
    latest_files.period_grain,
    latest_files.period,
    latest_files.association_code,
    latest_files.window_end,
    latest_files.file_period,
    resources.excel_row,
    resources.category_code,
    resources.detail,
    resources.amount
from latest_files
inner join resources
    on resources.period = latest_files.file_period
    and resources.association_code = latest_files.association_code
