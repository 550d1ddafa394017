-- MIS PE indicators per dimension: respondents, mean score and favourable share per cell
-- (total and wave), and the mean T0 → T1 change over youth with a T1 in the period.
with

cells as (
    select * from {{ ref('int_mispe_cells_listed') }}
),

changes as (
    select * from {{ ref('int_mispe_changes_paired') }}
),

respondents as (
    select
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
    group by all
),

-- At département scope a youth followed up in two associations counts once (latest T1).
changes_per_youth as (
    select
        changes.answered_period as period,
        scopes.scope,
        {{ scope_association_code('changes.association_code') }} as association_code,
        changes.youth_key,
        changes.mis_pe_dimension,
        changes.score_change
    from changes
    {{ cross_join_scopes() }}
    qualify row_number() over (
        partition by
            changes.answered_period, scopes.scope,
            {{ scope_association_code('changes.association_code') }},
            changes.youth_key, changes.mis_pe_dimension
        order by changes.answered_on desc, changes.association_code
    ) = 1
),

score_changes as (
    select
        period,
        scope,
        association_code,
        mis_pe_dimension,
        'total' as breakdown,
        null::varchar as breakdown_value,
        count(*) as youth_paired,
        sum(score_change) as score_change_total
    from changes_per_youth
    group by all
)

select {{ indicator_columns(
    'mispe_respondents', 'respondents', cell_count='respondents',
    mis_pe_dimension='mis_pe_dimension'
) }}
from respondents
union all
select {{ indicator_columns(
    'mispe_score', ratio('score_total', 'respondents'),
    numerator='score_total', denominator='respondents', cell_count='respondents',
    mis_pe_dimension='mis_pe_dimension'
) }}
from respondents
union all
select {{ indicator_columns(
    'mispe_favourable_share', percent('favourable_respondents', 'respondents'),
    numerator='favourable_respondents', denominator='respondents', cell_count='respondents',
    mis_pe_dimension='mis_pe_dimension'
) }}
from respondents
union all
select {{ indicator_columns(
    'mispe_score_change', ratio('score_change_total', 'youth_paired'),
    numerator='score_change_total', denominator='youth_paired', cell_count='youth_paired',
    mis_pe_dimension='mis_pe_dimension'
) }}
from score_changes
