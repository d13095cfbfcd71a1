"""Taking a Terraform-managed environment over into the app, without moving its data.

- `tools.adopt.state`: a Terraform state read into resources, its secrets never kept.
"""
