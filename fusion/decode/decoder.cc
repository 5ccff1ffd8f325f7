// Placeholder: being written (remove this line when implemented).
