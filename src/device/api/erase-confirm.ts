/** `spool.erase`'s confirmation: the caller types how many undelivered readings it accepts to lose. */

const PREFIX = "yes, erase ";

/**
 * Checks that `confirm` agrees to lose `pending` undelivered readings: "yes, erase N readings"
 * with N at least `pending` (confirming a larger number is fine: fewer are lost than agreed to).
 * @throws Error saying how many would be lost and the exact call that confirms.
 */
export function confirmErase(confirm: any, pending: number): void {
  let agreed = -1;
  if (typeof confirm === "string" && confirm.indexOf(PREFIX) === 0) {
    const rest = confirm.substr(PREFIX.length).split(" ");
    if (rest.length === 2 && (rest[1] === "readings" || rest[1] === "reading") && /^[0-9]+$/.test(rest[0])) agreed = parseInt(rest[0], 10);
  }
  if (agreed < pending) {
    throw new Error(
      "spool.erase: this discards every stored reading, " +
        pending +
        " of them not yet delivered. To confirm, call spool.erase(" +
        JSON.stringify(PREFIX + pending + " readings") +
        ")",
    );
  }
}
