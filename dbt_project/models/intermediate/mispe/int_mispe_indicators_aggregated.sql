-- MIS PE indicators per dimension: respondents, mean score and favourable share per cell
-- (total and wave), and the mean T0 → T1 change over youth with a T1 in the period.
with

cells as (
    select * from {{ ref('int_mispe_cells_sequenced') }}
),

changes as (
    select * from {{ ref('int_mispe_changes_paired') }}
),

windows as (
    select * from {{ ref('int_period_windows') }}
),

-- Youth who answered last in the same month and next in the same month share every window:
-- they are summed once before the windows are joined.
cell_months as (
    select
        scope,
        association_code,
        mis_pe_dimension,
        breakdown,
        breakdown_value,
        answered_period,
        next_answered_period,
        count(*) as respondents,
        {{ exact_sum('score') }} as score_total,
        count(*) filter (where is_favourable) as favourable_respondents
    from cells
    group by
        scope,
        association_code,
        mis_pe_dimension,
        breakdown,
        breakdown_value,
        answered_period,
        next_answered_period
),

respondents as (
    select
        windows.period_grain,
        windows.period,
        cell_months.scope,
        cell_months.association_code,
        cell_months.mis_pe_dimension,
        cell_months.breakdown,
        cell_months.breakdown_value,
        sum(cell_months.respondents) as respondents,
        sum(cell_months.score_total)::double precision as score_total,
        sum(cell_months.favourable_respondents) as favourable_respondents
    from cell_months
    inner join windows
        on {{ answered_last_in_window('cell_months', 'windows') }}
    group by
        windows.period_grain,
        windows.period,
        cell_months.scope,
        cell_months.association_code,
        cell_months.mis_pe_dimension,
        cell_months.breakdown,
        cell_months.breakdown_value
),

-- A youth followed up twice in a window, or (at département scope) in two associations,
-- counts once, with the latest T1: the latest of each month answered, sequenced as the cells.
changes_of_month as (
    select
        scope,
        association_code,
        youth_key,
        mis_pe_dimension,
        answered_period,
        score_change
    from (
        select
            scopes.scope,
            {{ scope_association_code('changes.association_code') }} as association_code,
            changes.youth_key,
            changes.mis_pe_dimension,
            changes.answered_period,
            changes.score_change,
            row_number() over (
                partition by
                    scopes.scope,
                    {{ scope_association_code('changes.association_code') }},
                    changes.youth_key, changes.mis_pe_dimension, changes.answered_period
                order by changes.answered_on desc, changes.association_code
            ) as recency
        from changes
        {{ cross_join_scopes() }}
    ) as ranked
    where recency = 1
),

changes_sequenced as (
    select
        *,
        lead(answered_period) over (
            partition by scope, association_code, youth_key, mis_pe_dimension
            order by answered_period
        ) as next_answered_period
    from changes_of_month
),

score_changes as (
    select
        windows.period_grain,
        windows.period,
        changes_sequenced.scope,
        changes_sequenced.association_code,
        changes_sequenced.mis_pe_dimension,
        'total' as breakdown,
        null::varchar as breakdown_value,
        count(*) as youth_paired,
        {{ exact_sum('changes_sequenced.score_change') }}::double precision as score_change_total
    from changes_sequenced
    inner join windows
        on {{ answered_last_in_window('changes_sequenced', 'windows') }}
    group by
        windows.period_grain,
        windows.period,
        changes_sequenced.scope,
        changes_sequenced.association_code,
        changes_sequenced.mis_pe_dimension
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
