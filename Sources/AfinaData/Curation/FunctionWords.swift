// Closed-class English words (determiners, pronouns, prepositions, conjunctions, auxiliaries
// and a few adverbs and particles). After "her" such a word means "her" is an object ("gave
// her a book" -> "him"); any other word means it is a possessive determiner ("her book" ->
// "his"). The list is written for this rule, not taken from a tagger.

enum FunctionWords {
    static let all: Set<String> = [
        // determiners and quantifiers
        "a", "an", "the", "this", "that", "these", "those", "some", "any", "every", "each", "no", "all", "both",
        "either", "neither", "much", "many", "more", "most", "few", "several", "enough",
        // pronouns
        "i", "me", "my", "mine", "you", "your", "yours", "he", "him", "his", "she", "her", "hers", "it", "its", "we",
        "us", "our", "ours", "they", "them", "their", "theirs", "myself", "yourself", "himself", "herself", "itself",
        "ourselves", "themselves", "who", "whom", "whose", "which", "what", "someone", "something", "anyone",
        "anything", "everyone", "everything", "nothing", "nobody",
        // prepositions and particles
        "to", "of", "in", "on", "at", "by", "for", "from", "with", "without", "about", "into", "onto", "over", "under",
        "after", "before", "since", "until", "through", "across", "against", "among", "around", "behind", "between",
        "beyond", "during", "near", "off", "out", "up", "down", "away", "back", "along", "toward", "towards", "upon",
        "within", "via", "per",
        // conjunctions
        "and", "or", "but", "nor", "so", "yet", "if", "because", "while", "when", "where", "whether", "why", "how",
        "as", "than", "though", "although", "unless", "whereas",
        // auxiliaries and modals
        "is", "was", "are", "were", "be", "been", "being", "am", "has", "have", "had", "do", "does", "did", "will",
        "would", "can", "could", "shall", "should", "may", "might", "must", "not",
        // adverbs of time and place
        "now", "then", "there", "here", "today", "yesterday", "tomorrow", "tonight", "once", "twice", "again",
        "too", "also", "already", "still", "just", "ever", "never", "always", "often", "sometimes", "soon", "later",
        "well", "instead", "anyway", "please",
    ]
}
