from dataset_builder.cli import run

run(prog_name="python -m dataset_builder")
