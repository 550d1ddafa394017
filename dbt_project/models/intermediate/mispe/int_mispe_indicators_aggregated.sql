-- MIS PE indicators per dimension: respondents, mean score and favourable share per cell
-- (total and wave), and the mean T0 → T1 change over youth with a T1 in the period.
with

cells as (
    select * from {{ ref('int_mispe_cells_listed') }}
),

changes as (
    select * from {{ ref('int_mispe_changes_paired') }}
),

windows as (
    select * from {{ ref('int_period_windows') }}
),

respondents as (
    select
        period_grain,
        period,
        scope,
        association_code,
        mis_pe_dimension,
        breakdown,
        breakdown_value,
        count(*) as respondents,
        sum(score) as score_total,
        count(*) filter (where is_favourable) as favourable_respondents
    from cells
    group by
        period_grain,
        period,
        scope,
        association_code,
        mis_pe_dimension,
        breakdown,
        breakdown_value
),

-- A youth followed up twice in a window, or (at département scope) in two associations,
-- counts once, with the latest T1.
changes_per_youth as (
    select period_grain, period, scope, association_code, youth_key, mis_pe_dimension, score_change
    from (
    select
        windows.period_grain,
        windows.period,
        scopes.scope,
        {{ scope_association_code('changes.association_code') }} as association_code,
        changes.youth_key,
        changes.mis_pe_dimension,
        changes.score_change,
        row_number() over (
            partition by
                windows.period_grain, windows.period, scopes.scope,
                {{ scope_association_code('changes.association_code') }},
                changes.youth_key, changes.mis_pe_dimension
            order by changes.answered_on desc, changes.association_code
        ) as recency
    from changes
    inner join windows
        on changes.answered_period between windows.window_start and windows.window_end
    {{ cross_join_scopes() }}
    ) as ranked
    where recency = 1
),

score_changes as (
    select
        period_grain,
        period,
        scope,
        association_code,
        mis_pe_dimension,
        'total' as breakdown,
        null::varchar as breakdown_value,
        count(*) as youth_paired,
        sum(score_change) as score_change_total
    from changes_per_youth
    group by period_grain, period, scope, association_code, mis_pe_dimension
)

select {{ indicator_columns(
    'mispe_respondents', 'respondents', 'residential_care', cell_count='respondents',
    mis_pe_dimension='mis_pe_dimension'
) }}
from respondents
union all
select {{ indicator_columns(
    'mispe_score', ratio('score_total', 'respondents'), 'residential_care',
    numerator='score_total', denominator='respondents', cell_count='respondents',
    mis_pe_dimension='mis_pe_dimension'
) }}
from respondents
union all
select {{ indicator_columns(
    'mispe_favourable_share', percent('favourable_respondents', 'respondents'),
    'residential_care',
    numerator='favourable_respondents', denominator='respondents', cell_count='respondents',
    mis_pe_dimension='mis_pe_dimension'
) }}
from respondents
union all
select {{ indicator_columns(
    'mispe_score_change', ratio('score_change_total', 'youth_paired'), 'residential_care',
    numerator='score_change_total', denominator='youth_paired', cell_count='youth_paired',
    mis_pe_dimension='mis_pe_dimension'
) }}
from score_changes
