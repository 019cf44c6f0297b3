# The two commands of the README, and the developer's usual others.
.PHONY: demo test lint bench messages

demo:            ## install and start Tiski on SQLite with demo data
	scripts/demo.sh

test:            ## install what the tests need and run them (SQLite, then PostgreSQL)
	scripts/test.sh

lint:
	.venv/bin/ruff check tiski tests scripts $$( [ -d bench ] && echo bench )
	.venv/bin/tiski makemigrations --check --dry-run

messages:        ## refresh the translation catalogues from the code
	.venv/bin/tiski makemessages -l fi -l en --ignore=.venv --ignore=tests
	.venv/bin/python scripts/compile_messages.py
