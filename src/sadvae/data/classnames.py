"""Official class names of the datasets with presets (facts, in class-id order: index 0 is A1 / id 0), and
built-in class descriptions (several per class)."""

NTU120 = (
    "drink water", "eat meal/snack", "brushing teeth", "brushing hair", "drop", "pickup", "throw", "sitting down",
    "standing up (from sitting position)", "clapping", "reading", "writing", "tear up paper", "wear jacket",
    "take off jacket", "wear a shoe", "take off a shoe", "wear on glasses", "take off glasses", "put on a hat/cap",
    "take off a hat/cap", "cheer up", "hand waving", "kicking something", "reach into pocket",
    "hopping (one foot jumping)", "jump up", "make a phone call/answer phone", "playing with phone/tablet",
    "typing on a keyboard", "pointing to something with finger", "taking a selfie", "check time (from watch)",
    "rub two hands together", "nod head/bow", "shake head", "wipe face", "salute", "put the palms together",
    "cross hands in front (say stop)", "sneeze/cough", "staggering", "falling", "touch head (headache)",
    "touch chest (stomachache/heart pain)", "touch back (backache)", "touch neck (neckache)",
    "nausea or vomiting condition", "use a fan (with hand or paper)/feeling warm", "punching/slapping other person",
    "kicking other person", "pushing other person", "pat on back of other person", "point finger at the other person",
    "hugging other person", "giving something to other person", "touch other person's pocket", "handshaking",
    "walking towards each other", "walking apart from each other",
    "put on headphone", "take off headphone", "shoot at the basket", "bounce ball", "tennis bat swing",
    "juggling table tennis balls", "hush (quite)", "flick hair", "thumb up", "thumb down", "make ok sign",
    "make victory sign", "staple book", "counting money", "cutting nails", "cutting paper (using scissors)",
    "snapping fingers", "open bottle", "sniff (smell)", "squat down", "toss a coin", "fold paper", "ball up paper",
    "play magic cube", "apply cream on face", "apply cream on hand back", "put on bag", "take off bag",
    "put something into a bag", "take something out of a bag", "open a box", "move heavy objects", "shake fist",
    "throw up cap/hat", "hands up (both hands)", "cross arms", "arm circles", "arm swings", "running on the spot",
    "butt kicks (kick backward)", "cross toe touch", "side kick", "yawn", "stretch oneself", "blow nose",
    "hit other person with something", "wield knife towards other person",
    "knock over other person (hit with body)", "grab other person's stuff", "shoot at other person with a gun",
    "step on foot", "high-five", "cheers and drink", "carry something with other person",
    "take a photo of other person", "follow other person", "whisper in other person's ear",
    "exchange things with other person", "support somebody with hand",
    "finger-guessing game (playing rock-paper-scissors)",
)
NTU60 = NTU120[:60]

PKU51 = (
    "bow", "brushing hair", "brushing teeth", "check time (from watch)", "cheer up", "clapping",
    "cross hands in front (say stop)", "drink water", "drop", "eat meal/snack", "falling",
    "giving something to other person", "hand waving", "handshaking", "hopping (one foot jumping)",
    "hugging other person", "jump up", "kicking other person", "kicking something",
    "make a phone call/answer phone", "pat on back of other person", "pickup", "playing with phone/tablet",
    "point finger at the other person", "pointing to something with finger", "punching/slapping other person",
    "pushing other person", "put on a hat/cap", "put something inside pocket", "reading", "rub two hands together",
    "salute", "sitting down", "standing up", "take off a hat/cap", "take off glasses", "take off jacket",
    "take out something from pocket", "taking a selfie", "tear up paper", "throw", "touch back (backache)",
    "touch chest (stomachache/heart pain)", "touch head (headache)", "touch neck (neckache)", "typing on a keyboard",
    "use a fan (with hand or paper)/feeling warm", "wear jacket", "wear on glasses", "wipe face", "writing",
)


UTD27 = (
    "right arm swipe to the left", "right arm swipe to the right", "right hand wave", "two hand front clap",
    "right arm throw", "cross arms in the chest", "basketball shooting", "draw x", "draw circle (clockwise)",
    "draw circle (counter clockwise)", "draw triangle", "bowling (right hand)", "front boxing",
    "baseball swing from right", "tennis forehand swing", "arm curl (two arms)", "tennis serve", "two hand push",
    "knock on door", "hand catch", "pick up and throw", "jogging", "walking", "sit to stand", "stand to sit",
    "forward lunge (left foot forward)", "squat",
)

# Motion descriptions of the UTD-MHAD actions, written for this project (three per class, in class
# order): what the action is, which limb moves in which direction and what shape, and the body's
# phases. Written once from the action names, before any measurement, and not edited after.
UTD27_DESCRIPTIONS = (
    ("a person swipes the right arm horizontally from the right side of the body across the chest to the left",
     "the right hand moves sideways at chest height from right to left while the rest of the body stays still",
     "one arm sweeps across the front of the body toward the left, like brushing something aside"),
    ("a person swipes the right arm horizontally from the left side of the chest out to the right",
     "the right hand moves sideways at chest height from left to right while the body stays still",
     "one arm sweeps outward, away from the body, toward the right, like pushing something aside"),
    ("a person raises the right hand above the shoulder and waves it from side to side",
     "the right forearm swings left and right repeatedly with the hand held high and the elbow bent",
     "greeting someone by waving one raised hand back and forth"),
    ("a person claps both hands together repeatedly in front of the chest",
     "both arms move toward each other and apart again in front of the body, the palms meeting",
     "the two hands come together at chest height several times, applauding"),
    ("a person throws an object with the right arm, drawing the hand back behind the head and whipping it forward",
     "the right arm swings from behind the shoulder forward and down in an overhand motion to release a ball",
     "throwing a ball overhand with one arm while stepping forward"),
    ("a person folds both arms across the chest and holds them there",
     "both hands move inward and cross over each other in front of the chest, each hand near the opposite shoulder",
     "the forearms cross in front of the torso and stay still"),
    ("a person shoots a basketball, bending the knees and pushing both hands up from the chest to above the head",
     "both arms extend upward and forward from in front of the face while the legs straighten",
     "jumping slightly and releasing a ball upward toward a hoop with both hands"),
    ("a person draws a large letter X in the air with the right hand",
     "the right hand moves along one diagonal from upper left to lower right, then along the other from upper right "
     "to lower left",
     "two crossing diagonal strokes traced in front of the body with one hand"),
    ("a person draws a circle in the air with the right hand, moving clockwise",
     "the right hand traces a round loop in front of the body: up, to the right, down, to the left",
     "one hand circles in front of the chest in the clockwise direction"),
    ("a person draws a circle in the air with the right hand, moving counter clockwise",
     "the right hand traces a round loop in front of the body: up, to the left, down, to the right",
     "one hand circles in front of the chest in the counter clockwise direction"),
    ("a person draws a triangle in the air with the right hand",
     "the right hand traces three straight strokes in front of the body: from the top down to the right, across to "
     "the left, and back up to the top",
     "one hand outlines a three cornered shape with sharp turns in front of the chest"),
    ("a person bowls a ball with the right hand, swinging the arm back and then forward low near the floor",
     "the right arm swings down and backward, then forward underhand while the body bends and steps forward",
     "crouching forward and rolling a ball along the ground with one arm"),
    ("a person punches forward with the fists, alternating left and right",
     "the arms extend straight forward from the chest and pull back quickly, one after the other",
     "boxing jabs thrown in front of the body with both hands"),
    ("a person swings a baseball bat held with both hands, starting from over the right shoulder",
     "both hands move together in a wide horizontal arc from the right side across the body to the left while the "
     "torso twists",
     "batting: a two handed swing across the front of the body at waist height"),
    ("a person hits a tennis forehand, swinging the right arm from behind the body forward and across",
     "the right arm sweeps horizontally from the right side, low to high, across the front of the body while the "
     "torso turns",
     "a one handed racket swing at the side of the body"),
    ("a person does biceps curls with both arms, bending the elbows to lift the hands to the shoulders",
     "both forearms rotate up and down at the elbows while the upper arms stay by the sides",
     "lifting weights with both hands by bending and straightening the elbows repeatedly"),
    ("a person serves a tennis ball, tossing it up and swinging the right arm over the head",
     "the right arm rises high behind the head and swings forward and down overhead while the body stretches upward",
     "an overhead racket swing after throwing a ball up with the other hand"),
    ("a person pushes forward with both hands at chest height",
     "both arms extend straight out in front of the chest together, palms forward, then return",
     "shoving something away with both hands at once"),
    ("a person knocks on a door with the right hand",
     "the right fist taps forward repeatedly at head height with small movements of the forearm",
     "rapping the knuckles on a surface in front of the face with one hand"),
    ("a person catches a ball with the hands",
     "the arms reach forward and up quickly and the hands close together to grab a thrown object",
     "grabbing an object out of the air in front of the body"),
    ("a person bends down to pick something up from the floor and then throws it",
     "the body bends forward and the right hand reaches to the ground, then the person straightens and the arm "
     "swings forward to throw",
     "lowering to lift an object from the floor, standing up and tossing it away"),
    ("a person jogs in place, running slowly with the knees lifting",
     "the legs alternate quickly, the feet leaving the ground, while the bent arms swing back and forth",
     "running at an easy pace"),
    ("a person walks forward at a normal pace",
     "the legs step alternately with one foot always on the ground while the arms swing gently",
     "walking with steady steps"),
    ("a person stands up from a chair, rising from sitting to standing",
     "starting seated with bent knees, the person leans forward and the hips and head move upward as the legs "
     "straighten",
     "getting up: the body goes from a low seated position to upright"),
    ("a person sits down on a chair, lowering from standing to sitting",
     "starting upright, the knees bend and the hips and head move downward until the person is seated",
     "sitting down: the body goes from upright to a low seated position"),
    ("a person lunges forward, stepping the left foot ahead and bending both knees",
     "the left leg steps forward and the body drops low with the back knee near the floor, then pushes back up",
     "a long step forward with one leg into a deep bend, then back"),
    ("a person squats down and stands back up, bending the knees and hips",
     "both knees bend and the hips lower toward the floor while the feet stay in place, then the legs straighten",
     "lowering the body into a crouch and rising again"),
)

# Northwestern-UCLA Multiview Action 3D (Kinect v1, everyday actions): the official class names, in label order.
NWUCLA10 = (
    "pick up with one hand", "pick up with two hands", "drop trash", "walk around", "sit down", "stand up",
    "donning", "doffing", "throw", "carry",
)

# Motion descriptions of the Northwestern-UCLA actions, written for this project (three per class, in class
# order): what the action is, which limbs move where and how, and the body's phases. Written once from the
# action names (donning / doffing: putting on / taking off a jacket), before any measurement, and not edited after.
NWUCLA10_DESCRIPTIONS = (
    ("a person bends forward and picks up an object from the floor with one hand, then stands back up",
     "the trunk leans down and one arm reaches to the ground while the other arm hangs, then the body straightens",
     "stooping to lift a small thing off the ground using a single hand and returning upright"),
    ("a person bends down and lifts an object from the floor with both hands, then stands up holding it",
     "the knees and trunk bend, both arms reach down together to the ground, then the body rises with the hands in "
     "front",
     "crouching to grab something low with two hands and raising it to waist height while straightening up"),
    ("a person holds a piece of trash out with one hand and lets it fall to the floor or into a bin",
     "one arm extends forward and slightly down from the side of the body, the hand opens, then the arm returns",
     "getting rid of a small piece of rubbish with a short downward movement of one hand"),
    ("a person walks around the area at a normal pace, changing direction along the way",
     "the legs step alternately while the arms swing gently and the body turns as the path curves",
     "strolling in a loop across the room with steady steps and several turns"),
    ("a person sits down on a chair, lowering the body from standing to sitting",
     "the knees and hips bend, the trunk leans forward slightly and the hips and head move down until seated",
     "going from an upright stance to a seated position on a chair behind the body"),
    ("a person stands up from a chair, rising from a seated position to standing upright",
     "the trunk leans forward, then the legs straighten at the knees and hips and the head and hips move upward",
     "getting up from a seat until the body is fully upright on both feet"),
    ("a person puts on a jacket, pushing one arm and then the other into the sleeves",
     "one arm reaches behind the back and slides into a sleeve, then the other arm follows and the shoulders shrug",
     "dressing in a coat: the arms thread into the sleeves and the hands pull the front into place"),
    ("a person takes off a jacket, pulling the arms out of the sleeves one at a time",
     "the hands push the collar back off the shoulders, then each arm pulls backward out of its sleeve",
     "removing a coat by shrugging it off the shoulders and drawing the arms out behind the back"),
    ("a person throws an object forward, drawing one arm back and then swinging it quickly ahead",
     "one arm cocks behind the shoulder and whips forward and down as the trunk rotates and a foot steps forward",
     "tossing something away with a fast forward swing of the arm and a release of the hand"),
    ("a person walks while carrying an object held in front of the body with the hands",
     "the legs step alternately while the arms stay bent and still at waist height instead of swinging",
     "moving across the room with a load held in the arms, the hands fixed in front"),
)

# Bandai-Namco motion-capture contents (professional actors, BVH), as readable names: the union of its two sets,
# in this order; these are the strings the BVH reader makes from the content tags (hyphens turned into spaces).
BANDAI_CONTENTS = (
    "walk", "run", "dash", "walk back", "walk left", "walk right", "bow", "bye", "guide", "byebye", "respond",
    "call", "punch", "kick", "slash", "dance long", "dance short", "walk turn left", "walk turn right",
    "wave both hands", "wave left hand", "wave right hand", "raise up both hands", "raise up left hand",
    "raise up right hand",
)

# Motion descriptions of the Bandai-Namco contents, written for this project (three per content, in the order
# above). The dataset gives no descriptions; these were written once from the content tags read as the everyday
# gestures they name (dash: sprinting; walk left / right: side-stepping; guide: showing the way with an open hand;
# respond: answering a call; call: beckoning; slash: a sword cut), before any measurement, and not edited after.
BANDAI_DESCRIPTIONS = (
    ("a person walks forward at a normal pace with steady alternating steps",
     "the legs step one after the other with one foot always on the ground while the arms swing gently",
     "walking straight ahead with relaxed, regular strides and the body upright"),
    ("a person runs forward at a moderate speed, both feet leaving the ground between steps",
     "the legs alternate quickly with the knees lifting while the bent arms swing back and forth",
     "running ahead at a steady pace, faster than walking but not at full speed"),
    ("a person sprints forward at full speed, leaning the trunk ahead and pumping the arms hard",
     "the legs drive fast with high knees and long strides while the bent arms swing strongly forward and back",
     "running as fast as possible in a short burst, the body tilted forward"),
    ("a person walks backwards, stepping the feet behind the body while still facing forward",
     "each leg reaches back and the foot lands behind the other, the body moving in reverse while the arms swing "
     "lightly",
     "retreating step by step in the opposite direction to where the person is facing"),
    ("a person walks sideways to the left, side-stepping without turning the body",
     "the left leg steps out to the side and the right leg follows to close the gap, again and again",
     "moving toward the left with the chest still facing forward, the feet stepping apart and together"),
    ("a person walks sideways to the right, side-stepping without turning the body",
     "the right leg steps out to the side and the left leg follows to close the gap, again and again",
     "moving toward the right with the chest still facing forward, the feet stepping apart and together"),
    ("a person bows politely, bending forward from the waist and then straightening up again",
     "the trunk and head tilt forward and down while the legs stay straight and the arms hang by the body",
     "a respectful greeting in which the upper body lowers forward for a moment and rises"),
    ("a person waves goodbye with one hand raised near the shoulder",
     "one forearm lifts and the hand swings side to side a few times while the other arm stays down",
     "saying farewell with a small wave of a single raised hand"),
    ("a person shows someone the way, extending one arm with an open hand toward a direction",
     "one arm sweeps out from the chest to the side at waist or shoulder height, palm up, as the body turns slightly",
     "gesturing like an usher to lead a visitor along a path with an outstretched hand"),
    ("a person waves goodbye energetically, swinging both raised hands widely from side to side",
     "both arms lift above the shoulders and sweep left and right in big repeated arcs, the body swaying along",
     "an enthusiastic farewell with large waves of the arms high over the head"),
    ("a person answers a call, raising one hand and turning toward someone as if saying yes",
     "the head and trunk turn to one side while one arm lifts up to shoulder or head height, then lowers",
     "replying to someone who called, with a quick turn of the body and a raised hand"),
    ("a person calls someone over, beckoning with one hand toward the body",
     "one arm extends forward and the hand and forearm curl back toward the chest several times",
     "waving a person closer with repeated inward motions of the hand"),
    ("a person throws punches, driving a fist straight forward from the chest and pulling it back",
     "the arms extend forward quickly one at a time at shoulder height while the trunk twists and the feet stay put",
     "a fighting move striking ahead with the fists in fast jabs"),
    ("a person kicks, lifting one leg and snapping the foot forward or to the side",
     "one knee rises and the leg straightens quickly at the knee, then returns to the floor while the arms balance",
     "a fighting move striking out with the foot while standing on the other leg"),
    ("a person slashes with a sword held in both hands, swinging it down and across in front",
     "both hands move together from above one shoulder in a fast diagonal arc down across the body as the trunk "
     "rotates",
     "cutting through the air with a blade, the arms sweeping strongly in wide strokes"),
    ("a person performs a long dance routine, moving the arms, legs and trunk in rhythm for a while",
     "the arms swing and rise, the legs step and turn, and the hips sway through a long sequence of varied moves",
     "dancing continuously through many steps and gestures, keeping to a beat over an extended time"),
    ("a person performs a short dance routine, a brief sequence of rhythmic arm and leg moves",
     "the arms swing and the feet step to a beat with a few turns of the body, ending after a short time",
     "a quick little dance of a few rhythmic steps and gestures"),
    ("a person walks forward and turns to the left, changing direction while walking",
     "the legs keep stepping while the feet, hips and shoulders rotate toward the left and the path curves that way",
     "walking ahead and then veering round to the left, heading off in a new direction"),
    ("a person walks forward and turns to the right, changing direction while walking",
     "the legs keep stepping while the feet, hips and shoulders rotate toward the right and the path curves that way",
     "walking ahead and then veering round to the right, heading off in a new direction"),
    ("a person waves both hands, raising the arms and swinging them from side to side",
     "both forearms lift above shoulder height and swing left and right together several times with the elbows bent",
     "greeting or signalling someone with two hands raised and waving back and forth"),
    ("a person raises the left hand and waves it from side to side",
     "the left forearm swings left and right repeatedly with the hand held high while the right arm stays down",
     "greeting someone by waving one raised hand, the left one, back and forth"),
    ("a person raises the right hand and waves it from side to side",
     "the right forearm swings left and right repeatedly with the hand held high while the left arm stays down",
     "greeting someone by waving one raised hand, the right one, back and forth"),
    ("a person raises both hands above the head, lifting the arms straight up",
     "both arms move up from the sides until the hands are high over the head, then come back down",
     "reaching both arms up toward the ceiling, holding the hands high over the head"),
    ("a person raises the left hand above the head, lifting the left arm straight up",
     "the left arm swings up until the hand is high over the head while the right arm stays by the side",
     "putting one hand, the left, up in the air as if volunteering to answer"),
    ("a person raises the right hand above the head, lifting the right arm straight up",
     "the right arm swings up until the hand is high over the head while the left arm stays by the side",
     "putting one hand, the right, up in the air as if volunteering to answer"),
)

# Bandai-Namco style tags as readable words, for reference (not class names): set 1 then the new ones of set 2,
# each name once ("chimpira": Japanese slang for a petty thug's swagger).
BANDAI_STYLES = (
    "normal", "happy", "sad", "angry", "proud", "not confident", "masculinity", "feminine", "childish", "old",
    "tired", "active", "musical", "giant", "chimpira", "elderly", "exhausted", "masculine", "youthful",
)

N_CLASSES = {"ntu60": 60, "ntu120": 120, "pku51": 51}  # class counts of the datasets with presets

BUILTIN = {"ntu60": NTU60, "ntu120": NTU120, "pku51": PKU51, "utd27": UTD27, "nwucla10": NWUCLA10,
           "bandai25": BANDAI_CONTENTS}
# class-text lists with several descriptions per class, by name (`sadvae text --classes utd27-desc`)
BUILTIN_DESCRIPTIONS = {"utd27-desc": UTD27_DESCRIPTIONS, "nwucla10-desc": NWUCLA10_DESCRIPTIONS,
                        "bandai25-desc": BANDAI_DESCRIPTIONS}
# the classes each built-in description list describes, in its order (descriptions are found by class name
# when a dataset holds only some of them, e.g. Bandai-Namco without "dance long")
DESCRIBED_CLASSES = {"utd27-desc": UTD27, "nwucla10-desc": NWUCLA10, "bandai25-desc": BANDAI_CONTENTS}
