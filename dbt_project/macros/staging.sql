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
