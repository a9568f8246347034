from dataset_builder.cli import main

main(prog_name="python -m dataset_builder")
