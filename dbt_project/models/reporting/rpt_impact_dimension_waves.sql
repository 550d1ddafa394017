-- The MIS PE figures of each wave shown beside each dimension in « Dimensions MIS PE »: for
-- every row of mart_impact_dimensions and every wave of the référentiel, the respondents and
-- mean score of that wave with their disclosure flags (no respondents: 0 and no score).
with

dimensions as (
    select * from {{ ref('mart_impact_dimensions') }}
    where period_grain = 'month'
),

waves as (
    select * from {{ ref('ref_list_values') }}
    where list_code = 'wave'
),

by_wave as (
    select
        period,
        scope,
        association_code,
        mis_pe_dimension,
        breakdown_value as wave,
        max(value) filter (where indicator_code = 'mispe_respondents') as respondents,
        bool_or(is_suppressed) filter (
            where indicator_code = 'mispe_respondents'
        ) as is_respondents_suppressed,
        max(value) filter (where indicator_code = 'mispe_score') as mean_score,
        bool_or(is_suppressed) filter (where indicator_code = 'mispe_score') as is_score_suppressed
    from {{ ref('fct_indicators') }}
    where period_grain = 'month'
        and breakdown = 'wave'
        and indicator_code in ('mispe_respondents', 'mispe_score')
    group by period, scope, association_code, mis_pe_dimension, breakdown_value
)

select
    dimensions.period,
    dimensions.scope,
    dimensions.association_code,
    dimensions.mis_pe_dimension,
    waves.label_fr as wave,
    waves.sort_order as wave_order,
    coalesce(by_wave.respondents, 0) as respondents,
    coalesce(by_wave.is_respondents_suppressed, false) as is_respondents_suppressed,
    by_wave.mean_score,
    coalesce(by_wave.is_score_suppressed, false) as is_score_suppressed
from dimensions
cross join waves
left join by_wave
    on by_wave.period = dimensions.period
    and by_wave.scope = dimensions.scope
    and {{ same_or_both_null('by_wave', 'dimensions', 'association_code') }}
    and by_wave.mis_pe_dimension = dimensions.mis_pe_dimension
    and by_wave.wave = waves.label_fr
