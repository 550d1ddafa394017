-- T0 → T1 pairs: each T1 with the youth's latest earlier T0 in the same dimension, from any
-- file of any association.
with

scores as (
    select * from {{ ref('int_mispe_dimensions_scored') }}
),

follow_ups as (
    select * from scores where wave_code = 'T1'
),

entries as (
    select * from scores where wave_code = 'T0'
),

paired as (
    select
        follow_ups.association_code,
        follow_ups.youth_key,
        follow_ups.mis_pe_dimension,
        follow_ups.answered_on,
        follow_ups.answered_period,
        follow_ups.score as t1_score,
        entries.association_code as t0_association_code,
        entries.answered_on as t0_answered_on,
        entries.score as t0_score,
        follow_ups.score - entries.score as score_change,
        row_number() over (
            partition by follow_ups.association_code, follow_ups.youth_key, follow_ups.mis_pe_dimension
            order by entries.answered_on desc, entries.file_period desc, entries.association_code
        ) as recency
    from follow_ups
    inner join entries
        on entries.youth_key = follow_ups.youth_key
        and entries.mis_pe_dimension = follow_ups.mis_pe_dimension
        and entries.answered_on < follow_ups.answered_on
)

select
    association_code,
    youth_key,
    mis_pe_dimension,
    answered_on,
    answered_period,
    t1_score,
    t0_association_code,
    t0_answered_on,
    t0_score,
    score_change
from paired
where recency = 1
