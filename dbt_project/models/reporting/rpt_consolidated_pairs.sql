-- The « Données » sheet of the consolidated internal workbook: every pair of each month's
-- files, pseudonymised (the youth's key, never a name), with its association's name and its
-- age band, in the order the sheet lists them (association, then pair).
with

pairs as (
    select * from {{ ref('int_pairs_coded') }}
),

associations as (
    select * from {{ ref('dim_association') }}
),

yes_no as (
    select * from {{ ref('ref_list_values') }}
    where list_code = 'yes_no'
),

named as (
    select
        pairs.*,
        coalesce(associations.association_name, pairs.association_code) as association_name
    from pairs
    left join associations
        on associations.association_code = pairs.association_code
)

select
    named.period,
    named.association_code,
    named.association_name,
    named.pair_id,
    named.youth_key,
    named.age_band,
    named.sex,
    named.school_level,
    named.placement_type,
    named.territory,
    named.status,
    named.application_date,
    named.match_date,
    named.end_date,
    named.end_reason,
    named.objective,
    named.mode,
    named.renewal,
    named.mentor_trained,
    named.objective_met,
    named.sessions_planned,
    named.sessions_held,
    named.has_alerts,
    -- « Ligne signalée »: Oui or Non, as the référentiel's yes/no list labels them.
    yes_no.label_fr as has_alerts_label,
    row_number() over (
        partition by named.period
        order by named.association_name, named.pair_id, named.association_code
    )::integer as row_order
from named
left join yes_no
    on yes_no.value_code = case when named.has_alerts then 'yes' else 'no' end
