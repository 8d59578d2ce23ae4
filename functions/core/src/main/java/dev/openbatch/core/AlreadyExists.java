package dev.openbatch.core;

/**
 * A record could not be created because one of that id exists. For records with derived ids (see
 * {@link Ids#batchOf}) this is how a redelivery learns it has been here before.
 */
public final class AlreadyExists extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public AlreadyExists(String id, String where) {
        super("a record with id " + id + " exists already in " + where);
    }
}
