-- The pairs of each month's file coded against the référentiel: every drop-down label mapped
-- to its code (and category), the territory to its code, the age at the period's last day to
-- its age band. A label unknown to the référentiel leaves its code NULL (tested).
with

pairs as (
    select * from {{ ref('stg_reporting__pairs') }}
),

territories as (
    select * from {{ ref('territories') }}
),

age_bands as (
    select * from {{ ref('ref_age_bands') }}
),

coded as (
    select
        pairs.period,
        {{ last_day_of('pairs.period') }} as period_end,
        pairs.association_code,
        pairs.file_sha256,
        pairs.excel_row,
        pairs.pair_id,
        pairs.youth_key,
        pairs.sex,
        sex_values.value_code as sex_code,
        pairs.birth_month,
        pairs.age_at_period_end,
        age_bands.age_band_code,
        age_bands.label_fr as age_band,
        pairs.school_level,
        school_levels.value_code as school_level_code,
        school_levels.category_code as school_level_group_code,
        school_levels.category_label_fr as school_level_group,
        pairs.placement_type,
        placement_types.value_code as placement_type_code,
        pairs.territory,
        territories.territory_code,
        pairs.referring_structure,
        nullif(lower(trim(pairs.referring_structure)), '') as referring_structure_key,
        pairs.application_date,
        pairs.match_date,
        pairs.status,
        statuses.value_code as status_code,
        pairs.end_date,
        pairs.end_reason,
        end_reasons.value_code as end_reason_code,
        end_reasons.category_code as end_reason_kind_code,
        end_reasons.category_label_fr as end_reason_kind,
        pairs.objective,
        objectives.value_code as objective_code,
        objectives.category_code as objective_mis_pe_dimension,
        pairs.mode,
        modes.value_code as mode_code,
        pairs.renewal,
        renewals.value_code as renewal_code,
        pairs.mentor_id,
        pairs.mentor_trained,
        mentor_trained_values.value_code as mentor_trained_code,
        pairs.meeting_frequency,
        meeting_frequencies.value_code as meeting_frequency_code,
        pairs.sessions_planned,
        pairs.sessions_held,
        pairs.objective_met,
        objective_met_values.value_code as objective_met_code,
        pairs.has_alerts
    from pairs
    {{ join_list_value('sex', 'pairs.sex', 'sex_values') }}
    {{ join_list_value('school_level', 'pairs.school_level', 'school_levels') }}
    {{ join_list_value('placement_type', 'pairs.placement_type', 'placement_types') }}
    {{ join_list_value('status', 'pairs.status', 'statuses') }}
    {{ join_list_value('end_reason', 'pairs.end_reason', 'end_reasons') }}
    {{ join_list_value('objective', 'pairs.objective', 'objectives') }}
    {{ join_list_value('mode', 'pairs.mode', 'modes') }}
    {{ join_list_value('renewal', 'pairs.renewal', 'renewals') }}
    {{ join_list_value('yes_no', 'pairs.mentor_trained', 'mentor_trained_values') }}
    {{ join_list_value('meeting_frequency', 'pairs.meeting_frequency', 'meeting_frequencies') }}
    {{ join_list_value('objective_met', 'pairs.objective_met', 'objective_met_values') }}
    left join territories
        on territories.label_fr = pairs.territory
    left join age_bands
        on pairs.age_at_period_end between age_bands.min_age and age_bands.max_age
)

select * from coded
