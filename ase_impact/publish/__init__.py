"""What leaves the warehouse: feedback and consolidated workbooks, the template, the snapshot."""
