{#- The columns every raw table starts with, as ingestion writes them
    (ase_impact/warehouse/schema.py): the partition, the file it came from, the row's Excel number. -#}
{% macro raw_row_columns() -%}
        period,
        association_code,
        file_sha256,
        excel_row
{%- endmacro %}

{#- The columns of a version of a submission (quality.submissions), in the loader's order. -#}
{% macro submission_columns() -%}
        period,
        association_code,
        association_name,
        file_name,
        sha256,
        received_at,
        version,
        template_version,
        rows_received,
        rows_accepted,
        rows_rejected,
        rows_with_alerts,
        status,
        message_fr
{%- endmacro %}

{#-
    The fields of a read sheet that hold answers of the list `list_code`, in column order: the
    questionnaires' items, stated once in the seed reporting_columns (which ingestion reads
    too). Read from the seed's table by name, as star_except reads a model's: in a unit test
    ref() names the test's fixture. The staging models calling it state their dependence on the
    seed (-- depends_on: ref('reporting_columns')), so dbt loads it before them and before
    every model downstream that calls it too. At parse time, before anything is loaded, there
    are none.
-#}
{% macro answer_fields(sheet_code, list_code) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set relation = adapter.get_relation(target.database, 'referentiel', 'reporting_columns') -%}
    {%- set found = run_query(
        "select field from " ~ relation
        ~ " where sheet_code = '" ~ sheet_code ~ "' and list_code = '" ~ list_code ~ "'"
        ~ " order by column_order"
    ) -%}
    {{ return(found.columns[0].values() | list) }}
{%- endmacro %}

{#- The end-of-mentoring questionnaire's questions (« Oui », « Non », « Ne sait pas »). -#}
{% macro end_questionnaire_fields() -%}
    {{ return(answer_fields('end_questionnaires', 'questionnaire_answer')) }}
{%- endmacro %}

{#- The MIS PE questionnaire's items (scores 1 to 4), named as the seed mispe_items names them. -#}
{% macro mispe_item_fields() -%}
    {{ return(answer_fields('mispe_questionnaires', 'mispe_answer')) }}
{%- endmacro %}
