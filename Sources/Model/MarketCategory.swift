/// The canonical category keys, shared by Gamma parsing, the simulator, the leaderboard and the
/// base-rate table: one spelling each, so that a lookup never misses on "pop culture" against
/// "pop-culture" and silently falls back to a default.
public enum MarketCategory {
    public static let politics = "politics"
    public static let crypto = "crypto"
    public static let sports = "sports"
    public static let popCulture = "pop-culture"
    public static let economics = "economics"
    public static let other = "other"

    /// The categories Remora names (Gamma has more labels; they keep their own slug).
    public static let known = [politics, crypto, sports, popCulture, economics, other]

    /// Other spellings of the known keys (Gamma titles, leaderboard names).
    static let aliases: [String: String] = ["culture": popCulture, "pop": popCulture, "economy": economics]

    /// The key for any spelling: lower case, words joined by "-", known aliases mapped
    /// ("Pop Culture", "pop culture", "POP_CULTURE" and "CULTURE" → "pop-culture"); empty → "other".
    public static func canonical(_ text: String) -> String {
        let words = text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        guard !words.isEmpty else { return other }
        let slug = words.joined(separator: "-")
        return aliases[slug] ?? slug
    }
}
