"""The workbooks the pipeline writes: feedback to associations and the consolidated workbook."""
