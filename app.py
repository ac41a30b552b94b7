"""`python app.py` runs the development server on http://127.0.0.1:8080."""
import os

from app import create_app

if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=int(os.environ.get("PORT", "8080")), debug=False)
