-- A push's writes clear the attachment refs of the documents they store
-- (issue 16): the refs are written again from the stored documents after,
-- and the statement that cleared them was one more round trip a push. Same
-- arguments as before, so a hub process not yet updated, which clears them
-- again itself, calls it unchanged.
CREATE OR REPLACE FUNCTION pcmt_store_push(d pcmt_documents, r pcmt_rows, a pcmt_audit, c pcmt_changes)
RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    DELETE FROM attachment_refs WHERE doc_id = ANY(d.id);
    PERFORM pcmt_put_documents(d);
    PERFORM pcmt_put_rows(r);
    PERFORM pcmt_append_audit(a);
    RETURN pcmt_append_changes(c);
END
$$;
