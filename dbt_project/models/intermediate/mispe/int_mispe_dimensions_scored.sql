-- One row per questionnaire and MIS PE dimension with at least one answered item: the youth's
-- mean answer and score (mean − 1) ÷ 3 × 100 on 0–100. MIS PE measures residential care
-- (the catalogue's population): youth outside its age scope (13–18) and the questionnaires of
-- associations without residential care are kept in raw and left out of the measure.
with

questionnaires as (
    select * from {{ ref('int_mispe_questionnaires_deduplicated') }}
    where not is_out_of_mispe_scope
        and {{ in_population('association_code', 'residential_care') }}
),

items as (
    select * from {{ ref('mispe_items') }}
),

-- One row per answered item: an empty or « NSP » item (NULL) is no answer.
answers as (
    {%- for item_code in mispe_item_fields() %}
    select
        association_code, youth_key, wave, wave_code, wave_order, file_period, answered_on,
        answered_period, '{{ item_code }}' as item_code, {{ item_code }} as answer
    from questionnaires
    where {{ item_code }} is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

scored as (
    select
        answers.association_code,
        answers.youth_key,
        answers.wave,
        answers.wave_code,
        answers.wave_order,
        answers.file_period,
        answers.answered_on,
        answers.answered_period,
        items.dimension_code as mis_pe_dimension,
        count(*) as items_answered,
        avg(answers.answer)::double precision as mean_answer
    from answers
    inner join items
        on items.item_code = answers.item_code
    group by
        answers.association_code,
        answers.youth_key,
        answers.wave,
        answers.wave_code,
        answers.wave_order,
        answers.file_period,
        answers.answered_on,
        answers.answered_period,
        items.dimension_code
)

select
    *,
    (mean_answer - 1) / 3 * 100 as score,
    mean_answer >= 3 as is_favourable
from scored
